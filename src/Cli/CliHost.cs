using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Cli;

/// <summary>
/// Builds the Generic Host every command runs in: configuration from <c>appsettings.json</c> beside the program,
/// <c>SOCHDB_ISOLATED_</c> environment variables and <c>--set Key=Value</c> options; logging to standard error (standard
/// output carries results and the <c>serve</c> protocol); the supervisor as a singleton bound to the
/// <c>SochDbIsolated</c> section.
/// </summary>
internal static class CliHost
{
    /// <summary>The configuration section the supervisor's options come from.</summary>
    public const string OptionsSection = "SochDbIsolated";

    /// <summary>Builds the host.</summary>
    /// <param name="settings">The <c>--set Key=Value</c> pairs, applied last.</param>
    /// <param name="verbose">Whether to log at debug level.</param>
    /// <returns>The host, not started.</returns>
    /// <exception cref="FormatException">A <c>--set</c> pair has no <c>=</c>.</exception>
    public static IHost Build(IEnumerable<string> settings, bool verbose)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = true,
        });
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        builder.Configuration.AddEnvironmentVariables("SOCHDB_ISOLATED_");
        builder.Configuration.AddInMemoryCollection(ParseSettings(settings));

        builder.Logging.ClearProviders();
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        if (verbose)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            builder.Logging.AddFilter("SochDb.Isolated", LogLevel.Debug);
        }

        builder.Services.AddOptions<PluginSupervisorOptions>()
            .Bind(builder.Configuration.GetSection(OptionsSection))
            .Validate(
                o =>
                {
                    o.Validate();
                    return true;
                },
                "invalid SochDbIsolated options");
        builder.Services.AddSingleton(sp => new PluginSupervisor(sp.GetRequiredService<IOptions<PluginSupervisorOptions>>().Value, sp.GetRequiredService<ILoggerFactory>()));
        return builder.Build();
    }

    private static Dictionary<string, string?> ParseSettings(IEnumerable<string> settings)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var setting in settings)
        {
            var equals = setting.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"--set '{setting}' is not Key=Value");
            }

            values[setting[..equals]] = setting[(equals + 1)..];
        }

        return values;
    }
}
