using System.Runtime.Versioning;

namespace SochDb.Isolated.Supervisor;

/// <content>The Windows kernel API class; its functions and structures are in the <c>Interop.*.cs</c> files beside this one.</content>
internal static partial class Interop
{
    /// <summary>Functions and structures of <c>kernel32.dll</c>.</summary>
    [SupportedOSPlatform("windows")]
    internal static partial class Kernel32
    {
    }
}
