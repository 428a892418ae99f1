using System.CommandLine;

namespace Tern.Cli;

public static class UserCommands
{
    public static Command Create()
    {
        var command = new Command("user", "Manage users.");
        return command;
    }
}
