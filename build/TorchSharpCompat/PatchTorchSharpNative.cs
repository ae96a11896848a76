#nullable enable
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Makes copies of TorchSharp's libLibTorchSharp.so load on a libstdc++ older than GCC 13.
/// Runs only when the system's libstdc++ lacks GLIBCXX_3.4.32; idempotent; patches output copies only.
/// </summary>
public sealed class PatchTorchSharpNative : Task
{
    private const string MissingVersion = "GLIBCXX_3.4.32";
    private const string MissingSymbol = "_ZSt21ios_base_library_initv";
    private const string CompatLibraryName = "libtsuzumi_glibcxx_compat.so";
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    [Required] public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string CompatSource { get; set; } = "";
    [Required] public string IntermediateDirectory { get; set; } = "";

    public override bool Execute()
    {
        var systemLibrary = FindSystemLibstdcxx();
        if (systemLibrary is null)
        {
            Log.LogMessage(MessageImportance.Low, "TorchSharp compat: no system libstdc++.so.6 found; nothing to patch.");
            return true;
        }
        if (FileContains(systemLibrary, MissingVersion))
        {
            Log.LogMessage(MessageImportance.Low, $"TorchSharp compat: {systemLibrary} defines {MissingVersion}; no patch needed.");
            return true;
        }

        var compatLibrary = BuildCompatLibrary();
        if (compatLibrary is null) return false;

        foreach (var library in Libraries.Select(item => item.GetMetadata("FullPath")).Distinct())
        {
            var besideLibrary = Path.Combine(Path.GetDirectoryName(library)!, CompatLibraryName);
            if (!File.Exists(besideLibrary) || !File.ReadAllBytes(besideLibrary).SequenceEqual(File.ReadAllBytes(compatLibrary)))
                File.Copy(compatLibrary, besideLibrary, overwrite: true);

            if (FileContains(library, CompatLibraryName)) continue; // already patched

            // Patch a private copy, then move it over the output file: never write through a link into the NuGet cache.
            var patched = library + ".patching";
            File.Copy(library, patched, overwrite: true);
            // One edit per patchelf call: patchelf 0.14 (Debian 12) corrupts .gnu.version_r when they are combined.
            if (!Patchelf($"--clear-symbol-version {MissingSymbol} \"{patched}\"")
                || !Patchelf($"--add-needed {CompatLibraryName} \"{patched}\"")
                || (!FileContains(patched, "$ORIGIN") && !Patchelf($"--add-rpath '$ORIGIN' \"{patched}\"")))
                return false;
            if (!FlagVersionNeedWeak(patched, MissingVersion))
            {
                Log.LogError($"TorchSharp compat: {library} has no version need {MissingVersion}; the TorchSharp package changed, revisit docs/decisions/0001-torchsharp-on-debian-12.md.");
                return false;
            }
            File.Delete(library);
            File.Move(patched, library);
            Log.LogMessage(MessageImportance.Normal, $"TorchSharp compat: patched {library} for a libstdc++ without {MissingVersion}.");
        }
        return true;
    }

    private bool Patchelf(string arguments) => Run("patchelf", arguments, "Install it with: apt-get install patchelf");

    private string? BuildCompatLibrary()
    {
        var directory = Path.Combine(IntermediateDirectory, "torchsharp-compat");
        Directory.CreateDirectory(directory);
        var output = Path.Combine(directory, CompatLibraryName);
        if (File.Exists(output) && File.GetLastWriteTimeUtc(output) >= File.GetLastWriteTimeUtc(CompatSource)) return output;
        var temporary = output + ".tmp";
        if (!Run("g++", $"-shared -fPIC -O2 -o \"{temporary}\" \"{CompatSource}\"", "Install it with: apt-get install g++"))
            return null;
        if (File.Exists(output)) File.Delete(output);
        File.Move(temporary, output);
        return output;
    }

    private static string? FindSystemLibstdcxx()
    {
        string[] candidates =
        {
            "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        };
        return candidates.FirstOrDefault(File.Exists);
    }

    private static bool FileContains(string path, string text)
    {
        // A byte search is enough: version and library names are NUL-terminated strings in .dynstr.
        var needle = Encoding.ASCII.GetBytes(text);
        var data = File.ReadAllBytes(path);
        for (var i = Array.IndexOf(data, needle[0]); i >= 0 && i <= data.Length - needle.Length; i = Array.IndexOf(data, needle[0], i + 1))
        {
            var match = true;
            for (var j = 1; j < needle.Length && match; j++) match = data[i + j] == needle[j];
            if (match) return true;
        }
        return false;
    }

    private bool Run(string program, string arguments, string hint)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, arguments)
            {
                RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
            })!;
            var stderr = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode == 0) return true;
            Log.LogError($"TorchSharp compat: '{program} {arguments}' failed ({process.ExitCode}): {stderr.Trim()}");
            return false;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Log.LogError($"TorchSharp compat: '{program}' is needed to make TorchSharp load on this libstdc++ but was not found. {hint}");
            return false;
        }
    }

    /// <summary>Sets VER_FLG_WEAK on the ELF64 version-need entry named <paramref name="version"/>.</summary>
    private static bool FlagVersionNeedWeak(string path, string version)
    {
        var elf = File.ReadAllBytes(path);
        var sectionHeaders = (long)BitConverter.ToUInt64(elf, 0x28);
        int headerSize = BitConverter.ToUInt16(elf, 0x3A), headerCount = BitConverter.ToUInt16(elf, 0x3C);
        for (var i = 0; i < headerCount; i++)
        {
            var header = sectionHeaders + (long)i * headerSize;
            if (BitConverter.ToUInt32(elf, (int)header + 4) != ShtGnuVerneed) continue;
            var offset = (long)BitConverter.ToUInt64(elf, (int)header + 24);
            var stringsHeader = sectionHeaders + (long)BitConverter.ToUInt32(elf, (int)header + 40) * headerSize;
            var strings = (long)BitConverter.ToUInt64(elf, (int)stringsHeader + 24);
            var entries = BitConverter.ToUInt32(elf, (int)header + 44);
            var need = offset;
            for (var n = 0; n < entries; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                var aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (var a = 0; a < auxCount; a++)
                {
                    var name = ReadString(elf, strings + BitConverter.ToUInt32(elf, (int)aux + 8));
                    if (name == version)
                    {
                        var flags = (ushort)(BitConverter.ToUInt16(elf, (int)aux + 4) | VerFlagWeak);
                        BitConverter.GetBytes(flags).CopyTo(elf, (int)aux + 4);
                        File.WriteAllBytes(path, elf);
                        return true;
                    }
                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }
                need += BitConverter.ToUInt32(elf, (int)need + 12);
            }
        }
        return false;
    }

    private static string ReadString(byte[] data, long offset)
    {
        var end = Array.IndexOf(data, (byte)0, (int)offset);
        return Encoding.ASCII.GetString(data, (int)offset, end - (int)offset);
    }
}
