namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>
/// The original runtime's table-pattern rules: deny by default; <c>*</c> matches every name; a pattern ending in
/// <c>*</c> matches by prefix; anything else must equal the name. Case-sensitive; a <c>*</c> elsewhere is literal.
/// </summary>
internal static class CapabilityMatcher
{
    /// <summary>Checks a name against a list of patterns.</summary>
    /// <param name="patterns">The granted patterns.</param>
    /// <param name="name">The table or index name asked for.</param>
    /// <returns><see langword="true"/> when any pattern grants it.</returns>
    public static bool Matches(IReadOnlyList<string> patterns, string name)
    {
        foreach (var pattern in patterns)
        {
            if (pattern == "*"
                || (pattern.EndsWith('*') && name.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal))
                || string.Equals(pattern, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
