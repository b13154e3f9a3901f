using System.Diagnostics;

namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>Finds the worker executable and builds the start info for it.</summary>
internal static class WorkerLauncher
{
    /// <summary>The worker's assembly file name.</summary>
    public const string WorkerAssembly = "SochDb.Isolated.Worker.dll";

    /// <summary>Resolves the worker path: the configured one, or the worker shipped beside the supervisor.</summary>
    /// <param name="configured">The configured path, if any.</param>
    /// <returns>The full path of the worker's assembly or executable.</returns>
    /// <exception cref="FileNotFoundException">No worker is there.</exception>
    public static string Resolve(string? configured)
    {
        var path = Path.GetFullPath(configured ?? Path.Combine(AppContext.BaseDirectory, WorkerAssembly));
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The worker executable was not found at '{path}'. Set {nameof(PluginSupervisorOptions)}.{nameof(PluginSupervisorOptions.WorkerPath)}.", path);
        }

        return path;
    }

    /// <summary>Builds the start info: all three standard streams redirected, nothing inherited but the environment.</summary>
    /// <param name="workerPath">The resolved worker path.</param>
    /// <param name="options">The supervisor options.</param>
    /// <returns>The start info.</returns>
    public static ProcessStartInfo CreateStartInfo(string workerPath, PluginSupervisorOptions options)
    {
        ProcessStartInfo info;
        if (workerPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            info = new ProcessStartInfo(DotnetHost());
            info.ArgumentList.Add(workerPath);
        }
        else
        {
            info = new ProcessStartInfo(workerPath);
        }

        info.UseShellExecute = false;
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.CreateNoWindow = true;
        info.WorkingDirectory = Path.GetDirectoryName(workerPath)!;
        info.Environment[Protocol.ProtocolConstants.WorkerMarkerVariable] = "1";

        // A worker is short-lived and single-threaded in its hot path: workstation GC and no tiered PGO keep its
        // footprint and start-up small.
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_TieredPGO"] = "0";
        foreach (var (name, value) in options.WorkerEnvironment)
        {
            info.Environment[name] = value;
        }

        return info;
    }

    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root))
        {
            var candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "dotnet";
    }
}
