# Copies what the dashboard serves of the State's design system (DSFR,
# decision 0044) from its npm package into the web output: the stylesheet,
# the JavaScript module, and only the fonts and icons the stylesheet refers
# to (url(fonts/...), url(icons/...)), at the same relative paths so its
# url()s resolve from /assets/dsfr/.
# Usage: cmake -DDSFR_DIST=<node_modules>/@gouvfr/dsfr/dist -DOUT=<dir> -P copy-dsfr.cmake
if(NOT DSFR_DIST OR NOT OUT)
  message(FATAL_ERROR "copy-dsfr.cmake: DSFR_DIST and OUT are required")
endif()
set(css ${DSFR_DIST}/dsfr.min.css)
if(NOT EXISTS ${css})
  message(FATAL_ERROR "copy-dsfr.cmake: ${css} is missing (did npm ci install @gouvfr/dsfr?)")
endif()
file(MAKE_DIRECTORY ${OUT})
file(COPY ${css} ${DSFR_DIST}/dsfr.module.min.js DESTINATION ${OUT})
file(READ ${css} text)
string(REGEX MATCHALL "url\\((fonts|icons)/[A-Za-z0-9_./-]+\\)" refs "${text}")
list(REMOVE_DUPLICATES refs)
foreach(ref IN LISTS refs)
  string(REGEX REPLACE "^url\\((.*)\\)$" "\\1" file "${ref}")
  if(NOT EXISTS ${DSFR_DIST}/${file})
    message(FATAL_ERROR "copy-dsfr.cmake: dsfr.min.css refers to ${file}, missing from the package")
  endif()
  get_filename_component(dir ${file} DIRECTORY)
  file(COPY ${DSFR_DIST}/${file} DESTINATION ${OUT}/${dir})
endforeach()
