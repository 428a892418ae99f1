using System.CommandLine;
using Tern.Accounts;

namespace Tern.Cli;

/// <summary><c>tern domain add|list|remove</c>: the domains whose mail this server keeps.</summary>
public static class DomainCommands
{
    public static Command Create()
    {
        var command = new Command("domain", "Manage local domains: mail to addresses of these domains is delivered here.");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Remove());
        return command;
    }

    static Argument<string> NameArgument() => new("NAME") { Description = "The domain name, for example example.com." };

    static Command Add()
    {
        var name = NameArgument();
        var command = new Command("add", "Add a local domain, so that users and aliases can be created in it.");
        command.Arguments.Add(name);
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            await services.Accounts().AddDomainAsync(parse.GetValue(name)!, cancellationToken);
            Console.WriteLine($"domain {AccountAddress.NormalizeDomain(parse.GetValue(name)!)} added");
            return 0;
        });
        return command;
    }

    static Command List()
    {
        var command = new Command("list", "List the local domains with the number of users and aliases in each.");
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            var accounts = services.Accounts();
            var domains = await accounts.ListDomainsAsync(cancellationToken);
            if (domains.Count == 0)
            {
                Console.WriteLine("no domains; add one with: tern domain add NAME");
                return 0;
            }
            var users = await accounts.ListUsersAsync(cancellationToken);
            var aliases = await accounts.ListAliasesAsync(cancellationToken);
            AccountCli.WriteTable(["DOMAIN", "USERS", "ALIASES", "CREATED"], domains.Select(d => new[]
            {
                d.Name,
                users.Count(u => InDomain(u.Address, d.Name)).ToString(System.Globalization.CultureInfo.InvariantCulture),
                aliases.Count(a => InDomain(a.Source, d.Name)).ToString(System.Globalization.CultureInfo.InvariantCulture),
                AccountCli.FormatTime(d.Created),
            }));
            return 0;
        });
        return command;
    }

    static Command Remove()
    {
        var name = NameArgument();
        var command = new Command("remove", "Remove a local domain. Refused while it still has users or aliases.");
        command.Arguments.Add(name);
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            var domain = parse.GetValue(name)!;
            if (!await services.Accounts().RemoveDomainAsync(domain, cancellationToken))
                throw new CliException($"no such domain: {domain.Trim()}");
            Console.WriteLine($"domain {AccountAddress.NormalizeDomain(domain)} removed");
            return 0;
        });
        return command;
    }

    static bool InDomain(string address, string domain) =>
        address.EndsWith("@" + domain, StringComparison.OrdinalIgnoreCase);
}
