using System.Runtime.InteropServices;

namespace SochDb.Isolated.Supervisor;

/// <content>GetQueuedCompletionStatus and the job notifications it delivers.</content>
internal static partial class Interop
{
    /// <content>GetQueuedCompletionStatus.</content>
    internal static partial class Kernel32
    {
        /// <summary>Job notification: a process passed the per-process memory limit.</summary>
        internal const uint JOB_OBJECT_MSG_PROCESS_MEMORY_LIMIT = 9;

        /// <summary>Job notification: the job passed its memory limit.</summary>
        internal const uint JOB_OBJECT_MSG_JOB_MEMORY_LIMIT = 10;

        /// <summary>Dequeues one notification; with a zero timeout it returns at once when none is queued.</summary>
        /// <param name="completionPort">The port.</param>
        /// <param name="numberOfBytes">For a job notification: the JOB_OBJECT_MSG_* number.</param>
        /// <param name="completionKey">The key the job was associated with.</param>
        /// <param name="overlapped">For a job notification: the process id it is about.</param>
        /// <param name="milliseconds">How long to wait.</param>
        /// <returns><see langword="true"/> when a notification was dequeued.</returns>
        [LibraryImport(Libraries.Kernel32, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static partial bool GetQueuedCompletionStatus(SafeKernelHandle completionPort, out uint numberOfBytes, out nuint completionKey, out IntPtr overlapped, uint milliseconds);
    }
}
