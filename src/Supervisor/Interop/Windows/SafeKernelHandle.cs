using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace SochDb.Isolated.Supervisor;

/// <summary>Owns one Windows kernel object handle (a job, a process, a completion port) and closes it exactly once.</summary>
[SupportedOSPlatform("windows")]
internal sealed class SafeKernelHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Initializes a new instance of the <see cref="SafeKernelHandle"/> class; the marshaller sets the handle.</summary>
    public SafeKernelHandle()
        : base(ownsHandle: true)
    {
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => Interop.Kernel32.CloseHandle(handle);
}
