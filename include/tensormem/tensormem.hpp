// tensormem: a tensor memory runtime with a bounded pool, generation-tagged
// handles, refcounted storage and checked strided views. Include this header
// for everything.
#pragma once

#include "tensormem/convert.hpp"
#include "tensormem/copy.hpp"
#include "tensormem/dims.hpp"
#include "tensormem/dtype.hpp"
#include "tensormem/error.hpp"
#include "tensormem/handle_table.hpp"
#include "tensormem/history.hpp"
#include "tensormem/layout.hpp"
#include "tensormem/options.hpp"
#include "tensormem/pool.hpp"
#include "tensormem/shared_buffer.hpp"
#include "tensormem/size_class.hpp"
#include "tensormem/stats.hpp"
#include "tensormem/storage.hpp"
#include "tensormem/storage_image.hpp"
#include "tensormem/tensor.hpp"
#include "tensormem/version.hpp"
