# Installation and the CMake / pkg-config packages (docs/install.md). Included after
# cmake/library.cmake, so every link line of the libraries is known here.
#
# Installed (all paths relative to the prefix, so a moved prefix keeps working):
#   lib/liblioncub.so.*         lioncub::lioncub
#   lib/liblioncub.a            lioncub::lioncub_static (lioncub_archive below)
#   lib/libnccl-net-lioncub.so  lioncub::nccl-net-lioncub, also LIONCUB_NET_PLUGIN_PATH
#   include/lioncub/*.h         the public headers
#   lib/cmake/lioncub/          lioncubConfig.cmake, lioncubConfigVersion.cmake, lioncubTargets*.cmake
#   lib/pkgconfig/lioncub.pc
include(CMakePackageConfigHelpers)

# --- The installable static library -----------------------------------------------------------
# lioncub_static (tests, benchmarks) exposes the source tree and links in-tree static libraries;
# an installed archive must stand alone with the public headers. lioncub_archive holds the same
# objects plus those of every in-tree static or object library that liblioncub.so links
# (lioncub_net_driver today), and links only what is importable elsewhere: the link line is
# derived from liblioncub.so's, so changes there (CUDA runtime, NCCL) follow automatically.
function(_lioncub_collect_link tgt out_objects out_libs)
  set(objects)
  set(libs)
  get_target_property(items ${tgt} LINK_LIBRARIES)
  get_target_property(iface ${tgt} INTERFACE_LINK_LIBRARIES)
  foreach(item IN LISTS items iface)
    # $<LINK_ONLY:x> repeats a PRIVATE item of LINK_LIBRARIES in a static library's interface.
    if(NOT item OR item MATCHES "-NOTFOUND$" OR item MATCHES "^\\$<LINK_ONLY:")
      continue()
    endif()
    if(TARGET ${item})
      get_target_property(imported ${item} IMPORTED)
      get_target_property(type ${item} TYPE)
      if(NOT imported AND type MATCHES "^(STATIC|OBJECT)_LIBRARY$")
        list(APPEND objects "$<TARGET_OBJECTS:${item}>")
        _lioncub_collect_link(${item} sub_objects sub_libs)
        list(APPEND objects ${sub_objects})
        list(APPEND libs ${sub_libs})
        continue()
      elseif(NOT imported AND type STREQUAL "INTERFACE_LIBRARY")
        continue()  # in-tree build settings (warnings and the like)
      endif()
    endif()
    list(APPEND libs "${item}")
  endforeach()
  list(REMOVE_DUPLICATES objects)
  list(REMOVE_DUPLICATES libs)
  set(${out_objects} "${objects}" PARENT_SCOPE)
  set(${out_libs} "${libs}" PARENT_SCOPE)
endfunction()

_lioncub_collect_link(lioncub _lioncub_extra_objects _lioncub_archive_libs)
_lioncub_collect_link(lioncub_objects _lioncub_more_objects _lioncub_more_libs)
list(APPEND _lioncub_extra_objects ${_lioncub_more_objects})
list(APPEND _lioncub_archive_libs ${_lioncub_more_libs})
list(REMOVE_DUPLICATES _lioncub_extra_objects)
list(REMOVE_DUPLICATES _lioncub_archive_libs)
add_library(lioncub_archive STATIC $<TARGET_OBJECTS:lioncub_objects> ${LIONCUB_CPU_OBJECTS}
                                   ${_lioncub_extra_objects})
target_include_directories(lioncub_archive PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
target_link_libraries(lioncub_archive PUBLIC ${_lioncub_archive_libs})
# liblioncub.a next to liblioncub.so; C callers link it with the C++ linker (CMake does so from
# the exported link languages; pkg-config --static lists -lstdc++).
set_target_properties(lioncub_archive PROPERTIES OUTPUT_NAME lioncub EXPORT_NAME lioncub_static
                                                 ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)

# Namespaced names for add_subdirectory() users, the same as the installed package's.
add_library(lioncub::lioncub ALIAS lioncub)
add_library(lioncub::lioncub_static ALIAS lioncub_archive)
add_library(lioncub::nccl-net-lioncub ALIAS nccl-net-lioncub)
if(NOT PROJECT_IS_TOP_LEVEL)
  set(LIONCUB_NET_PLUGIN_PATH "$<TARGET_FILE:nccl-net-lioncub>" PARENT_SCOPE)
endif()

if(NOT LIONCUB_INSTALL)
  return()
endif()

# --- Targets and headers ---------------------------------------------------------------------
# The plugin joins the export set in plugin/CMakeLists.txt. liblioncub.so needs no RPATH: it
# finds the plugin next to itself (collectives/comm_api.cc, dladdr).
install(TARGETS lioncub lioncub_archive EXPORT lioncubTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/lioncub DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

set(LIONCUB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lioncub)
install(EXPORT lioncubTargets NAMESPACE lioncub:: DESTINATION ${LIONCUB_CMAKE_DIR})

# --- Dependencies the exported link lines name ------------------------------------------------
# Threads always; the CUDA toolkit and NCCL only where a link line still names them. They are
# looked up QUIETly: a consumer without them can still use liblioncub.so when only the static
# archive names them.
get_target_property(_lioncub_shared_iface lioncub INTERFACE_LINK_LIBRARIES)
set(_lioncub_all_links ${_lioncub_archive_libs} ${_lioncub_shared_iface})
set(LIONCUB_CONFIG_DEPENDENCIES "find_dependency(Threads)\n")
set(LIONCUB_PC_LIBS_PRIVATE "-lstdc++ -lm -lpthread")
foreach(_l IN LISTS CMAKE_DL_LIBS)
  string(APPEND LIONCUB_PC_LIBS_PRIVATE " -l${_l}")
endforeach()
list(FILTER _lioncub_all_links INCLUDE REGEX "^(CUDA|NCCL|OpenSSL)::")
list(REMOVE_DUPLICATES _lioncub_all_links)
if(_lioncub_all_links MATCHES "CUDA::")
  string(APPEND LIONCUB_CONFIG_DEPENDENCIES
    "find_package(CUDAToolkit QUIET)\n"
    "if(NOT CUDAToolkit_FOUND)\n"
    "  message(STATUS \"lioncub: no CUDA toolkit found; the lioncub targets that link the CUDA \"\n"
    "                 \"runtime need it\")\n"
    "endif()\n")
endif()
if(_lioncub_all_links MATCHES "OpenSSL::")
  string(APPEND LIONCUB_CONFIG_DEPENDENCIES
    "find_package(OpenSSL QUIET COMPONENTS Crypto)\n"
    "if(NOT OpenSSL_FOUND)\n"
    "  message(STATUS \"lioncub: no OpenSSL found; lioncub::lioncub_static needs its libcrypto\")\n"
    "endif()\n")
endif()
if(_lioncub_all_links MATCHES "NCCL::")
  install(FILES ${PROJECT_SOURCE_DIR}/cmake/FindNCCL.cmake DESTINATION ${LIONCUB_CMAKE_DIR})
  string(APPEND LIONCUB_CONFIG_DEPENDENCIES
    "list(PREPEND CMAKE_MODULE_PATH \"\${CMAKE_CURRENT_LIST_DIR}\")\n"
    "find_package(NCCL QUIET)\n"
    "list(POP_FRONT CMAKE_MODULE_PATH)\n"
    "if(NOT NCCL_FOUND)\n"
    "  message(STATUS \"lioncub: no NCCL found (NCCL_HOME); the lioncub targets that link NCCL need it\")\n"
    "endif()\n")
endif()
foreach(_l IN LISTS _lioncub_all_links)
  if(_l MATCHES "^CUDA::(.*)$")
    string(APPEND LIONCUB_PC_LIBS_PRIVATE " -L${CUDAToolkit_LIBRARY_DIR} -l${CMAKE_MATCH_1}")
    if(CMAKE_MATCH_1 MATCHES "_static$")
      string(APPEND LIONCUB_PC_LIBS_PRIVATE " -lrt")
    endif()
  elseif(_l MATCHES "^OpenSSL::")
    string(APPEND LIONCUB_PC_LIBS_PRIVATE " -lcrypto")
  elseif(_l STREQUAL "NCCL::nccl")
    get_filename_component(_nccl_dir "${NCCL_LIBRARY}" DIRECTORY)
    string(APPEND LIONCUB_PC_LIBS_PRIVATE " -L${_nccl_dir} -lnccl")
  endif()
endforeach()

# --- lioncubConfig.cmake, lioncubConfigVersion.cmake ---------------------------------------------
set(LIONCUB_NET_PLUGIN_INSTALL_PATH ${CMAKE_INSTALL_LIBDIR}/libnccl-net-lioncub.so)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lioncubConfig.cmake.in
  ${PROJECT_BINARY_DIR}/lioncubConfig.cmake
  INSTALL_DESTINATION ${LIONCUB_CMAKE_DIR}
  PATH_VARS LIONCUB_NET_PLUGIN_INSTALL_PATH CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
# 0.x: minor versions may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lioncubConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lioncubConfig.cmake ${PROJECT_BINARY_DIR}/lioncubConfigVersion.cmake
  DESTINATION ${LIONCUB_CMAKE_DIR})

# --- lioncub.pc ----------------------------------------------------------------------------------
# prefix is ${pcfiledir}/.. up to the prefix, so pkg-config follows a moved prefix too.
set(_pcdir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH LIONCUB_PC_RELPREFIX /prefix/${_pcdir} /prefix)
string(REGEX REPLACE "/$" "" LIONCUB_PC_RELPREFIX "${LIONCUB_PC_RELPREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/lioncub.pc.in ${PROJECT_BINARY_DIR}/lioncub.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/lioncub.pc DESTINATION ${_pcdir})
