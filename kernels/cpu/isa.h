// Which copy of the CPU passes this translation unit builds (see kernels.h): the build defines
// LIONCUB_CPU_ISA as avx2 for the AVX2 copy.
#pragma once

#ifndef LIONCUB_CPU_ISA
#define LIONCUB_CPU_ISA baseline
#endif
