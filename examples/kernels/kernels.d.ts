/** The magnitudes device.kernels.spectrogram() returns: float32 [frames, frame / 2 + 1]. */
export type Spectrogram = Tensor<'float32'>;
