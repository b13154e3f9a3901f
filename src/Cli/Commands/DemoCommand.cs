using System.CommandLine;

namespace SochDb.Isolated.Cli.Commands;

/// <summary><c>demo</c>: the README's main job.</summary>
internal static class DemoCommand
{
    /// <summary>Creates the command.</summary>
    /// <param name="global">The global options.</param>
    /// <returns>The command.</returns>
    public static Command Create(GlobalOptions global)
    {
        var command = new Command("demo", "Load the example plugins into worker processes, run them, and show isolation at work");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, global, (_, supervisor, token) => Demo.RunAsync(Console.Out, supervisor, token), ct));
        return command;
    }
}
