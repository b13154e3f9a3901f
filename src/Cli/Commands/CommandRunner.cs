using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Cli.Commands;

/// <summary>Runs a command's body inside the host, mapping failures to the documented exit codes.</summary>
internal static class CommandRunner
{
    /// <summary>Builds the host, runs <paramref name="body"/> with its supervisor, and shuts the supervisor down.</summary>
    /// <param name="parse">The parse result.</param>
    /// <param name="global">The global options.</param>
    /// <param name="body">The command's work.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    /// <param name="settings">Settings the command itself adds, as <c>Key=Value</c>, applied before <c>--set</c>.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(ParseResult parse, GlobalOptions global, Func<IServiceProvider, PluginSupervisor, CancellationToken, Task<int>> body, CancellationToken cancellationToken, IEnumerable<string>? settings = null)
    {
        IHost host;
        try
        {
            host = CliHost.Build([.. settings ?? [], .. parse.GetValue(global.Set) ?? []], parse.GetValue(global.Verbose));
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using (host)
        {
            PluginSupervisor supervisor;
            try
            {
                supervisor = host.Services.GetRequiredService<PluginSupervisor>();
            }
            catch (Exception ex) when (ex is OptionsValidationException or ArgumentOutOfRangeException or FileNotFoundException)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            try
            {
                return await body(host.Services, supervisor, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("cancelled").ConfigureAwait(false);
                return ExitCodes.Cancelled;
            }
            catch (Exception ex) when (ex is not PluginException)
            {
                CliLog.CommandFailed(host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SochDb.Isolated.Cli"), ex);
                await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.InternalError;
            }
            finally
            {
                await supervisor.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
