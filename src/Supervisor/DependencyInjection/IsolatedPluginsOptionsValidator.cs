using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace SochDb.Isolated.Supervisor.DependencyInjection;

/// <summary>
/// Validates <see cref="IsolatedPluginsOptions"/> when the host starts: every supervisor option in range, the host's own
/// options in range, no unknown configuration key, and every declared plugin's id valid and unique and its files
/// present. Each failure names the configuration key.
/// </summary>
/// <param name="environment">The host's environment, whose content root relative paths are relative to; the current folder without one.</param>
internal sealed class IsolatedPluginsOptionsValidator(IHostEnvironment? environment = null) : IValidateOptions<IsolatedPluginsOptions>
{
    private const string Prefix = IsolatedPluginsOptions.SectionName + ":";

    /// <summary>Gets the folder relative paths are relative to.</summary>
    internal string BasePath => environment?.ContentRootPath is { Length: > 0 } root ? root : Directory.GetCurrentDirectory();

    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, IsolatedPluginsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        failures.AddRange(options.UnknownConfigurationKeys.Select(k => $"{k}: unknown option (misspelt?)."));
        if (options.Supervisor is null)
        {
            failures.Add($"{Prefix}Supervisor must not be null.");
        }
        else
        {
            CheckSupervisor(options.Supervisor, failures);
        }

        if (options.Health is null)
        {
            failures.Add($"{Prefix}Health must not be null.");
        }
        else
        {
            Check(options.Health.Validate, "Health:", failures);
        }

        if (options.MaxConcurrentLoads is < 1 or > IsolatedPluginsOptions.MaxConcurrentLoadsLimit)
        {
            failures.Add($"{Prefix}MaxConcurrentLoads is {options.MaxConcurrentLoads}; it must be between 1 and {IsolatedPluginsOptions.MaxConcurrentLoadsLimit}.");
        }

        if (options.Supervisor is not null)
        {
            failures.AddRange(PluginCatalog.Resolve(options, BasePath).Errors);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckSupervisor(PluginSupervisorOptions supervisor, List<string> failures)
    {
        // The nested option objects first, so that a failure names its full key (RestartPolicy:MaxFailures).
        var nestedOk = true;
        nestedOk &= supervisor.RestartPolicy is null ? Missing("RestartPolicy", failures) : Check(supervisor.RestartPolicy.Validate, "RestartPolicy:", failures);
        nestedOk &= supervisor.Isolation is null ? Missing("Isolation", failures) : Check(supervisor.Isolation.Validate, "Isolation:", failures);
        nestedOk &= supervisor.Hardening is null ? Missing("Hardening", failures) : Check(supervisor.Hardening.Validate, "Hardening:", failures);
        nestedOk &= supervisor.Audit is null ? Missing("Audit", failures) : Check(supervisor.Audit.Validate, "Audit:", failures);
        if (nestedOk)
        {
            Check(supervisor.Validate, string.Empty, failures);
        }
    }

    private static bool Missing(string key, List<string> failures)
    {
        failures.Add($"{Prefix}{key} must not be null.");
        return false;
    }

    private static bool Check(Action validate, string keyPrefix, List<string> failures)
    {
        try
        {
            validate();
            return true;
        }
        catch (ArgumentException ex)
        {
            // The framework's message ends with "(Parameter 'X')" and the actual value on a new line: keep it on one line.
            var message = ex.Message.Replace(Environment.NewLine, " ", StringComparison.Ordinal).Replace('\n', ' ');
            failures.Add($"{Prefix}{keyPrefix}{ex.ParamName}: {message}");
            return false;
        }
    }
}
