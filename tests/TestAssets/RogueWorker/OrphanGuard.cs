using System.Globalization;

namespace SochDb.Isolated.RogueWorker;

/// <summary>
/// Ends this process if the process that started it goes away. Several modes ignore their channel on purpose, and the
/// supervisor is what kills them; if a test host dies first, nothing else would, and they would outlive the test run.
/// </summary>
internal static class OrphanGuard
{
    public static void Start()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var parent = ParentPid();
        _ = Task.Run(async () =>
        {
            while (ParentPid() == parent)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }

            Environment.Exit(0);
        });
    }

    private static int ParentPid()
    {
        // /proc/self/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its closing parenthesis.
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], CultureInfo.InvariantCulture);
    }
}
