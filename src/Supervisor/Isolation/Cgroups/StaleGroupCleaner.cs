using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>
/// Removes the parent groups that supervisors killed without a chance to clean up (SIGKILL, OOM, power loss) left
/// beneath the supervisor's own groups, with whatever workers they still hold.
/// </summary>
/// <remarks>
/// Only direct children of the supervisor's own groups named <c>sochdb-isolated-&lt;pid&gt;</c> are considered, and only
/// when no process has that pid (or it is this process's pid but no isolation of this process uses the group: the pid
/// was reused). A live pid that now belongs to an unrelated program keeps its group: leaking a directory is better
/// than killing another supervisor's workers. Nothing outside the supervisor's own groups is ever touched.
/// </remarks>
internal static class StaleGroupCleaner
{
    /// <summary>Kills and removes every stale parent group beneath the given directories.</summary>
    /// <param name="platform">The host.</param>
    /// <param name="ownDirectories">The supervisor's own groups.</param>
    /// <param name="logger">Logs each removal.</param>
    /// <returns>How many stale groups were removed.</returns>
    public static int Clean(IsolationPlatform platform, IEnumerable<string> ownDirectories, ILogger logger)
    {
        var fileSystem = platform.FileSystem;
        var processes = platform.Processes;
        var removed = 0;
        foreach (var own in ownDirectories.Distinct(StringComparer.Ordinal))
        {
            foreach (var candidate in fileSystem.GetDirectories(own))
            {
                if (!SupervisorGroupNames.TryParseOwner(Path.GetFileName(candidate), out var owner)
                    || SupervisorGroupNames.IsLive(candidate)
                    || (owner != processes.CurrentProcessId && processes.IsAlive(owner)))
                {
                    continue;
                }

                var tree = CgroupOperations.DescendantsAndSelf(fileSystem, candidate);
                var leftovers = CgroupOperations.LivePids(fileSystem, processes, tree).Count;
                CgroupOperations.Kill(fileSystem, processes, tree);
                var survivors = CgroupOperations.WaitEmpty(fileSystem, processes, tree, CgroupOperations.EmptyTimeout, platform.TimeProvider);
                var failures = CgroupOperations.RemoveTrees(fileSystem, [candidate]);
                if (failures.Count == 0)
                {
                    IsolationLog.StaleGroupRemoved(logger, candidate, owner, leftovers);
                    removed++;
                }
                else
                {
                    var reason = survivors.Count > 0 ? $"processes [{string.Join(", ", survivors)}] survived SIGKILL; " : string.Empty;
                    IsolationLog.StaleGroupRemoveFailed(logger, candidate, owner, reason + string.Join("; ", failures));
                }
            }
        }

        return removed;
    }
}
