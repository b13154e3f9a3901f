using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Cli.Serve;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Cli.Commands;

/// <summary>
/// <c>sochdb-isolated serve</c>: drives the plugin supervisor over JSON-RPC 2.0 on standard input/output, so hosts in
/// any language can use it the way editors use a language server. The protocol is in docs/serve-protocol.md.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The default data folder, under the working directory.</summary>
    public const string DefaultDataFolder = ".sochdb-data";

    /// <summary>Creates the command.</summary>
    /// <param name="global">The global options.</param>
    /// <returns>The command.</returns>
    public static Command Create(GlobalOptions global)
    {
        var data = new Option<DirectoryInfo>("--data")
        {
            Description = "The data folder, created if missing: the embedded store (sochdb.db) and the audit trail (audit/)",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(Environment.CurrentDirectory, DefaultDataFolder)),
            HelpName = "dir",
        };
        var command = new Command("serve", "Serve the plugin supervisor over JSON-RPC 2.0 on standard input/output (Content-Length framing, as LSP)")
        {
            data,
        };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(
            parse,
            global,
            async (services, supervisor, ct) =>
            {
                var folder = parse.GetValue(data)!;
                try
                {
                    // Open the store now: a bad or busy --data fails at start-up, not on the first request.
                    await supervisor.GetStoreAsync(ct);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    await Console.Error.WriteLineAsync($"error: cannot open the data folder '{folder.FullName}': {ex.Message}");
                    return ExitCodes.Usage;
                }

                var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("SochDb.Isolated.Cli.Serve");
                var server = new ServeServer(supervisor, logger);
                await using var input = Console.OpenStandardInput();
                await using var output = Console.OpenStandardOutput();
                await server.RunAsync(input, output, ct);
                return ct.IsCancellationRequested ? ExitCodes.Cancelled : ExitCodes.Success;
            },
            cancellationToken,
            [$"{CliHost.OptionsSection}:{nameof(PluginSupervisorOptions.DataDirectory)}={parse.GetValue(data)!.FullName}"]));
        return command;
    }
}
