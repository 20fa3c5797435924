{
  "variables": {
    "mm_no_mremap%": "false"
  },
  "targets": [
    {
      "target_name": "mmap_native",
      "sources": ["src/mmap.c", "src/bytes.c", "src/search.c", "src/lines.c", "src/shm.c", "src/scan.c", "src/binding.c", "src/binding-bytes.c", "src/binding-shm.c", "src/views.c", "src/napi.c", "src/async.c"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["OS=='win'", {
          "sources": ["src/win32.c", "src/win32-shm.c", "src/win32-guard.c"],
          "defines": ["WIN32_LEAN_AND_MEAN", "_CRT_SECURE_NO_WARNINGS"],
          "msvs_settings": {
            "VCCLCompilerTool": {
              "WarningLevel": 4,
              "AdditionalOptions": ["/std:c11"],
              "DisableSpecificWarnings": ["4100"]
            }
          }
        }, {
          "sources": ["src/posix.c", "src/posix-shm.c", "src/posix-guard.c"],
          "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden"],
          "xcode_settings": {
            "OTHER_CFLAGS": ["-std=gnu11", "-fvisibility=hidden"],
            "WARNING_CFLAGS": ["-Wall", "-Wextra", "-Wno-unused-parameter"]
          }
        }],
        ["OS=='linux'", { "defines": ["_GNU_SOURCE"], "ldflags": ["-Wl,-z,nodelete"] }],
        ["OS!='win'", { "defines": ["_FILE_OFFSET_BITS=64"] }],
        ["mm_no_mremap=='true'", { "defines": ["MM_NO_MREMAP"] }]
      ]
    }
  ]
}
