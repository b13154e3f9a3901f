namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>
/// The groups an isolation created and has not seen disposed: it ends them itself on dispose, so a group its owner
/// forgot cannot keep the isolation's parent group (or job) busy. Thread-safe.
/// </summary>
/// <typeparam name="TGroup">The group type.</typeparam>
internal sealed class OwnedGroups<TGroup>
    where TGroup : class, IWorkerGroup
{
    private readonly Lock gate = new();
    private readonly HashSet<TGroup> groups = [];
    private bool closed;

    /// <summary>Creates a group and tracks it until it is disposed.</summary>
    /// <param name="owner">The isolation, named in the exception once it is disposed.</param>
    /// <param name="create">Creates the group; its argument is the callback the group calls when disposed.</param>
    /// <returns>The group.</returns>
    /// <exception cref="ObjectDisposedException">The isolation was disposed.</exception>
    public TGroup Create(object owner, Func<Action<TGroup>, TGroup> create)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(closed, owner);
            var group = create(Forget);
            groups.Add(group);
            return group;
        }
    }

    /// <summary>Stops tracking, then disposes every group still tracked.</summary>
    /// <returns><see langword="false"/> if this was already done (the isolation is being disposed twice).</returns>
    public async Task<bool> CloseAsync()
    {
        TGroup[] left;
        lock (gate)
        {
            if (closed)
            {
                return false;
            }

            closed = true;
            left = [.. groups];
        }

        foreach (var group in left)
        {
            await group.DisposeAsync().ConfigureAwait(false);
        }

        return true;
    }

    private void Forget(TGroup group)
    {
        lock (gate)
        {
            groups.Remove(group);
        }
    }
}
