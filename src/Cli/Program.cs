using Microsoft.Extensions.Logging;
using SochDb.Isolated.Cli;

using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true).AddFilter("SochDb.Isolated.Supervisor", LogLevel.Error));
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

var command = args.Length > 0 ? args[0] : "help";
switch (command)
{
    case "demo":
        return await Demo.RunAsync(Console.Out, loggerFactory, stop.Token).ConfigureAwait(false);
    default:
        await Console.Out.WriteLineAsync("usage: sochdb-isolated demo").ConfigureAwait(false);
        return command is "help" or "--help" or "-h" ? 0 : 2;
}
