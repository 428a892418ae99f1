using System.CommandLine;
using Tern.Configuration;

namespace Tern.Cli;

public static class ConfigCommands
{
    public static Command Create()
    {
        var config = new Command("config", "Inspect the configuration.");
        var check = new Command("check", "Validate the configuration (file, TERN_* variables, --set) and print each problem with its key.");
        check.SetAction(parse =>
        {
            try
            {
                var (_, options) = CliContext.LoadOptions(parse);
                Console.WriteLine($"configuration is valid (data folder {options.FullDataDirectory}, host name {options.HostName})");
                return 0;
            }
            catch (ConfigurationException ex)
            {
                foreach (var problem in ex.Problems)
                    Console.Error.WriteLine($"tern: {problem}");
                return 2;
            }
        });
        config.Subcommands.Add(check);
        return config;
    }
}
