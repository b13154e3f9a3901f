using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>
/// A call that waited for one of a worker's lanes was never sent: the worker had exited, been killed or closed its
/// channel by the time a lane freed. Nothing of it ran, so the supervisor routes it again (to the replacement worker or
/// the generation now serving), as it would a call that had waited at the plugin's gate; it reaches a caller only when
/// that is not possible.
/// </summary>
/// <param name="pluginId">The plugin.</param>
/// <param name="reason">Why the worker could not take it.</param>
internal sealed class CallNotSentException(string pluginId, string reason)
    : PluginException(ErrorKind.WorkerCrashed, pluginId, $"plugin '{pluginId}': the call waited for an instance of a worker that is gone ({reason}); it was not sent");
