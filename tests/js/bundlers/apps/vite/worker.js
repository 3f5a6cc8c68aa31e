import { Device } from 'tensormem';

Device.create().then((device) => {
  const t = device.tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
  self.postMessage({ sum: t.read().reduce((a, b) => a + b, 0) });
  device.dispose();
}, (error) => self.postMessage({ error: error.message }));
