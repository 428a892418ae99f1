using System.CommandLine;

namespace Tern.Cli;

public static class DomainCommands
{
    public static Command Create()
    {
        var command = new Command("domain", "Manage domains.");
        return command;
    }
}
