using System.CommandLine;

namespace Tern.Cli;

public static class AliasCommands
{
    public static Command Create()
    {
        var command = new Command("alias", "Manage aliass.");
        return command;
    }
}
