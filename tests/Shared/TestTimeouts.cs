using System.Runtime.CompilerServices;

namespace SochDb.Isolated.Tests;

/// <summary>Bounds for every await in the tests that could hang.</summary>
internal static class TestTimeouts
{
    /// <summary>How long something that should happen may take before the test fails.</summary>
    public static readonly TimeSpan Unexpected = TimeSpan.FromSeconds(30);

    /// <summary>Fails the test instead of hanging when <paramref name="task"/> does not finish in time.</summary>
    public static async Task<T> DefaultTimeout<T>(this Task<T> task, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        try
        {
            return await task.WaitAsync(Unexpected);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {Unexpected.TotalSeconds} s at {Path.GetFileName(file)}:{line}");
        }
    }

    /// <summary>Fails the test instead of hanging when <paramref name="task"/> does not finish in time.</summary>
    public static async Task DefaultTimeout(this Task task, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        try
        {
            await task.WaitAsync(Unexpected);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {Unexpected.TotalSeconds} s at {Path.GetFileName(file)}:{line}");
        }
    }
}
