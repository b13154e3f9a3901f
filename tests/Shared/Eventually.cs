using System.Diagnostics;

namespace SochDb.Isolated.Tests;

/// <summary>Waits, bounded by <see cref="TestTimeouts.Unexpected"/>, for something another thread or process makes true.</summary>
internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 20 ms; fails the test naming <paramref name="what"/> when the bound passes.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="what">What is awaited, for the failure message.</param>
    /// <returns>A task that completes once the condition holds.</returns>
    public static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(TestTimeouts.Unexpected.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
