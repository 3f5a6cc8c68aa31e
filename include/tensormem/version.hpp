// The one place the version is defined; CMake parses these three lines.
#pragma once

#define TENSORMEM_VERSION_MAJOR 0
#define TENSORMEM_VERSION_MINOR 2
#define TENSORMEM_VERSION_PATCH 0

#define TENSORMEM_VERSION_STRING "0.2.0"
