using System.CommandLine;
using Tern.Configuration;
using Tern.Delivery.Remote;
using Tern.Dns;

namespace Tern.Cli;

/// <summary><c>tern dns DOMAIN</c> prints the records to publish (zone-file form); <c>tern dns check DOMAIN</c> queries
/// them through <c>Dns:Servers</c> and says, record by record, ok / missing / wrong / malformed / error (docs/DNS.md).</summary>
public static class DnsCommands
{
    public static Command Create()
    {
        var domain = DomainArgument();
        var command = new Command("dns", "Print the DNS records a mail domain needs (MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, SRV), in zone-file form.");
        command.Arguments.Add(domain);
        command.Subcommands.Add(Check());
        command.SetAction(parse =>
        {
            var (_, options) = CliContext.LoadOptions(parse);
            var name = CheckDomain(parse.GetValue(domain));
            Console.Write(DnsRecordPlan.ToZoneText(DnsRecordPlan.For(options, name), name, options.HostName));
            return 0;
        });
        return command;
    }

    static Argument<string> DomainArgument() => new("DOMAIN") { Description = "The mail domain (example.com)." };

    static Command Check()
    {
        var domain = DomainArgument();
        var command = new Command("check", "Query each record through the configured DNS servers and report what is missing or wrong; exit code 1 if anything is.");
        command.Arguments.Add(domain);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (_, options) = CliContext.LoadOptions(parse);
            var name = CheckDomain(parse.GetValue(domain));
            var resolver = new MxResolver(options);
            var checker = new DnsChecker(options, new DnsLookup(options), new MtaStsFetcher(options, resolver, new TlsTrust(options)));
            var results = await checker.CheckAsync(name, cancellationToken);
            Console.WriteLine($"DNS check of {name} for mail host {options.HostName} (servers: {(options.Dns.Servers.Count > 0 ? string.Join(", ", options.Dns.Servers) : "system")})");
            if (!options.HostName.Contains('.', StringComparison.Ordinal))
                Console.WriteLine($"warning: HostName '{options.HostName}' is not a fully qualified name; the records are checked against it anyway");
            int width = results.Max(r => r.Record.Label.Length);
            foreach (var result in results)
            {
                var status = result.Status.ToString().ToLowerInvariant();
                Console.WriteLine($"{status,-10}{result.Record.Label.PadRight(width + 2)}{result.Record.Name}: {result.Detail}");
            }
            int bad = results.Count(r => r.Status != DnsCheckStatus.Ok);
            Console.WriteLine(bad == 0 ? "all records are in place" : $"{bad} of {results.Count} records need attention (see docs/DNS.md)");
            return bad == 0 ? 0 : 1;
        });
        return command;
    }

    static string CheckDomain(string? domain)
    {
        var name = (domain ?? "").Trim().TrimEnd('.');
        if (name.Length == 0 || name.Length > 253 || name.Contains(' ', StringComparison.Ordinal) || !name.Contains('.', StringComparison.Ordinal)
            || name.Split('.').Any(l => l.Length is 0 or > 63 || !l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
            throw new CliException($"'{domain}' is not a domain name");
        return name.ToLowerInvariant();
    }
}
