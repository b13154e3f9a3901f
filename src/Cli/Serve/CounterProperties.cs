using System.Reflection;

namespace SochDb.Isolated.Cli.Serve;

/// <summary>The public instance properties of a statistics record, in declaration order, looked up once per type.</summary>
/// <typeparam name="T">The record type.</typeparam>
internal static class CounterProperties<T>
{
    /// <summary>Gets the properties, in declaration order (metadata order; reflection's own order is unspecified).</summary>
    public static IReadOnlyList<PropertyInfo> All { get; } =
        [.. typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).OrderBy(p => p.MetadataToken)];
}
