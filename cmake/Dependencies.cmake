# Dependencies.cmake — finds every Debian 12 dependency and stops with the name of the
# package to install when one is missing.  scripts/bootstrap.sh installs them all.
find_package(PkgConfig REQUIRED)

set(SF_MISSING "")
macro(sf_require_pkg var module debpkg)
  pkg_check_modules(${var} QUIET IMPORTED_TARGET ${module})
  if(NOT ${var}_FOUND)
    list(APPEND SF_MISSING "${module} (Debian package ${debpkg})")
  endif()
endmacro()

find_package(MPI COMPONENTS C)
if(NOT MPI_C_FOUND)
  list(APPEND SF_MISSING "MPI (Debian packages libopenmpi-dev openmpi-bin)")
endif()
sf_require_pkg(FFTW fftw3 libfftw3-dev)
sf_require_pkg(PETSC PETSc petsc-dev)
sf_require_pkg(LIBXC libxc libxc-dev)
sf_require_pkg(HDF5 hdf5-openmpi libhdf5-openmpi-dev)
sf_require_pkg(OPENBLAS openblas libopenblas-dev)
sf_require_pkg(LAPACKE lapacke liblapacke-dev)
sf_require_pkg(SPGLIB spglib libsymspg-dev)
sf_require_pkg(CJSON libcjson libcjson-dev)
sf_require_pkg(SCALAPACK scalapack-openmpi libscalapack-openmpi-dev)

find_library(FFTW_MPI_LIB NAMES fftw3_mpi)
if(NOT FFTW_MPI_LIB)
  list(APPEND SF_MISSING "fftw3_mpi (Debian package libfftw3-mpi-dev)")
endif()

if(SF_MISSING)
  string(REPLACE ";" "\n  " SF_MISSING_TEXT "${SF_MISSING}")
  message(FATAL_ERROR "strainfield: missing dependencies:\n  ${SF_MISSING_TEXT}\n"
          "Run scripts/bootstrap.sh (as root) to install them.")
endif()

add_library(sf_deps INTERFACE)
target_link_libraries(sf_deps INTERFACE
  PkgConfig::PETSC PkgConfig::HDF5 PkgConfig::SCALAPACK ${FFTW_MPI_LIB} PkgConfig::FFTW
  PkgConfig::LIBXC PkgConfig::SPGLIB PkgConfig::CJSON PkgConfig::LAPACKE PkgConfig::OPENBLAS
  MPI::MPI_C m)
