using System.CommandLine;
using Tern.MailAuth;

namespace Tern.Cli;

/// <summary><c>tern dkim generate|list|retire</c>: the DKIM signing keys of our domains (docs/MAILAUTH.md).</summary>
/// <remarks>Keys live in <c>DATA/dkim/DOMAIN/</c>: <c>SELECTOR.private.pem</c> (0600) and <c>SELECTOR.dns.txt</c> with the
/// TXT record to publish at <c>SELECTOR._domainkey.DOMAIN</c>. The running server signs with every active key of the
/// From domain; a new or retired key takes effect with the next message, no restart.</remarks>
public static class DkimCommands
{
    public static Command Create()
    {
        var command = new Command("dkim", "Manage DKIM signing keys (RFC 6376, RFC 8463).");
        command.Subcommands.Add(Generate());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Retire());
        return command;
    }

    static Argument<string> DomainArgument() => new("DOMAIN") { Description = "The domain that signs, for example example.com." };

    static Command Generate()
    {
        var domain = DomainArgument();
        var selector = new Option<string?>("--selector", "-s") { Description = "Selector name; default: algorithm, year and a letter (rsa2026a, ed2026a)." };
        var algorithm = new Option<string>("--algorithm", "-a") { Description = "rsa (2048 bits) or ed25519.", DefaultValueFactory = _ => "rsa" };
        algorithm.AcceptOnlyFromAmong("rsa", "ed25519");
        var command = new Command("generate", "Create a signing key and print the DNS record to publish.");
        command.Arguments.Add(domain);
        command.Options.Add(selector);
        command.Options.Add(algorithm);
        command.SetAction(parse =>
        {
            var store = Store(parse);
            DkimKeyInfo key;
            try { key = store.Generate(parse.GetValue(domain)!, parse.GetValue(selector), parse.GetValue(algorithm)!, DateTime.UtcNow); }
            catch (ArgumentException ex) { throw new CliException(ex.Message); }
            Console.WriteLine($"created {key.Algorithm} key {key.Selector} for {key.Domain}: {key.KeyPath}");
            Console.WriteLine("publish this TXT record (the server signs with the key from now on):");
            Console.WriteLine($"{key.Selector}._domainkey.{key.Domain}. IN TXT \"{File.ReadAllText(key.DnsPath).Trim()}\"");
            return 0;
        });
        return command;
    }

    static Command List()
    {
        var domain = new Argument<string?>("DOMAIN") { Description = "Only this domain.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("list", "List DKIM keys: domain, selector, algorithm, active or retired.");
        command.Arguments.Add(domain);
        command.SetAction(parse =>
        {
            IReadOnlyList<DkimKeyInfo> keys;
            try { keys = Store(parse).List(parse.GetValue(domain)); }
            catch (ArgumentException ex) { throw new CliException(ex.Message); }
            if (keys.Count == 0)
            {
                Console.WriteLine("no DKIM keys; create one with: tern dkim generate DOMAIN");
                return 0;
            }
            AccountCli.WriteTable(["DOMAIN", "SELECTOR", "ALGORITHM", "STATE", "DNS NAME"], keys.Select(k => new[]
            {
                k.Domain, k.Selector, k.Algorithm, k.Active ? "signing" : "retired", $"{k.Selector}._domainkey.{k.Domain}",
            }));
            return 0;
        });
        return command;
    }

    static Command Retire()
    {
        var domain = DomainArgument();
        var selector = new Argument<string>("SELECTOR") { Description = "The selector to stop signing with." };
        var command = new Command("retire", "Stop signing with a key. Keep its DNS record a few days so mail in flight still verifies.");
        command.Arguments.Add(domain);
        command.Arguments.Add(selector);
        command.SetAction(parse =>
        {
            DkimKeyInfo key;
            try { key = Store(parse).Retire(parse.GetValue(domain)!, parse.GetValue(selector)!); }
            catch (ArgumentException ex) { throw new CliException(ex.Message); }
            Console.WriteLine($"key {key.Selector} of {key.Domain} retired; remove {key.Selector}._domainkey.{key.Domain} from DNS in a few days");
            return 0;
        });
        return command;
    }

    static DkimKeyStore Store(ParseResult parse)
    {
        var (_, options) = CliContext.LoadOptions(parse);
        return new DkimKeyStore(options.FullDataDirectory);
    }
}
