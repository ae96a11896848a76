// Supplies std::ios_base_library_init(), which GCC 13's libstdc++ (GLIBCXX_3.4.32) added and
// TorchSharp's libLibTorchSharp.so imports. Older runtimes (Debian 12: GLIBCXX_3.4.30) lack it;
// the function only has to make sure the standard streams are initialised, which a static
// std::ios_base::Init does. See docs/decisions/0001-torchsharp-on-debian-12.md.
#include <ios>

namespace std
{
    __attribute__((visibility("default"))) void ios_base_library_init()
    {
        static ios_base::Init streams;
    }
}
