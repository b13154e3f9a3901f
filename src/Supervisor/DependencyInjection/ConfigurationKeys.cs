using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace SochDb.Isolated.Supervisor.DependencyInjection;

/// <summary>Finds configuration keys that match no option, so that a misspelt key fails the start instead of being ignored.</summary>
internal static class ConfigurationKeys
{
    /// <summary>Collects the keys of <paramref name="section"/> that no property of <paramref name="types"/> takes.</summary>
    /// <param name="section">The bound section.</param>
    /// <param name="types">The option types bound from it.</param>
    /// <param name="unknown">Receives each unknown key's full path.</param>
    public static void FindUnknown(IConfiguration section, Type[] types, List<string> unknown)
    {
        foreach (var child in section.GetChildren())
        {
            var property = types
                .Select(t => t.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase))
                .FirstOrDefault(p => p is not null);
            if (property is null)
            {
                unknown.Add(child.Path);
                continue;
            }

            var type = property.PropertyType;
            if (IsOptionType(type))
            {
                FindUnknown(child, [type], unknown);
            }
            else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IList<>) && IsOptionType(type.GetGenericArguments()[0]))
            {
                foreach (var item in child.GetChildren())
                {
                    FindUnknown(item, [type.GetGenericArguments()[0]], unknown);
                }
            }
        }
    }

    private static bool IsOptionType(Type type) =>
        type.IsClass && type != typeof(string) && type.Namespace?.StartsWith("SochDb.Isolated.", StringComparison.Ordinal) == true;
}
