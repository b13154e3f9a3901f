using System.CommandLine;
using SochDb.Isolated.Cli;
using SochDb.Isolated.Cli.Commands;

var global = new GlobalOptions();
var root = new RootCommand("sochdb-isolated: run untrusted WebAssembly plugins in isolated worker processes")
{
    global.Set,
    global.Verbose,
    RunCommand.Create(global),
    InspectCommand.Create(global),
    DemoCommand.Create(global),
    ServeCommand.Create(global),
    BenchCommand.Create(),
};

return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
