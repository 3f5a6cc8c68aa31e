// tensormem: a tensor memory runtime with a bounded pool, generation-tagged
// handles and refcounted storage. Include this header for everything.
#pragma once

#include "tensormem/dtype.hpp"
#include "tensormem/error.hpp"
#include "tensormem/handle_table.hpp"
#include "tensormem/options.hpp"
#include "tensormem/pool.hpp"
#include "tensormem/shared_buffer.hpp"
#include "tensormem/size_class.hpp"
#include "tensormem/stats.hpp"
#include "tensormem/storage.hpp"
#include "tensormem/version.hpp"
