# find_package(zcnas) for training pipelines that link the library.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
get_property(_libs GLOBAL PROPERTY ZCNAS_LIBRARIES)
install(TARGETS ${_libs} zcnas_xxhash zcnas_torch EXPORT zcnasTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(_dir common benchdb spaces proxies predictors search)
  if(EXISTS ${CMAKE_SOURCE_DIR}/${_dir}/include)
    install(DIRECTORY ${CMAKE_SOURCE_DIR}/${_dir}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()
endforeach()
install(EXPORT zcnasTargets NAMESPACE zcnas:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/zcnas)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/zcnasConfig.cmake.in
  ${CMAKE_BINARY_DIR}/zcnasConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/zcnas)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/zcnasConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/zcnasConfig.cmake ${CMAKE_BINARY_DIR}/zcnasConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/zcnas)
