using System.Globalization;
using Tern.Pop3.Protocol;

namespace Tern.Pop3.Server;

/// <summary>STAT, LIST and UIDL (RFC 1939 5 and 7): answered from the session's listing, without opening a message.</summary>
sealed partial class Pop3Session
{
    internal async Task StatAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Length != 0)
            throw new Pop3CommandException("usage: STAT");
        await WriteLineAsync(Pop3Reply.Ok(Pop3Reply.DropListing(Maildrop.LiveCount, Maildrop.LiveOctets)), cancellationToken);
    }

    internal async Task ListAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        var args = command.SplitArguments();
        if (args.Count > 1)
            throw new Pop3CommandException("usage: LIST [msg]");
        var drop = Maildrop;
        if (args.Count == 1)
        {
            int number = ParseMessageNumber(args[0]);
            var message = drop.Get(number);
            await WriteLineAsync(Pop3Reply.Ok(string.Create(CultureInfo.InvariantCulture, $"{number} {message.Size}")), cancellationToken);
            return;
        }
        BeginMultiLine(Pop3Reply.Ok($"{drop.LiveCount} messages ({drop.LiveOctets} octets)"));
        for (int number = 1; number <= drop.Count; number++)
        {
            // RFC 1939 5: messages marked as deleted are not listed.
            if (!drop.IsDeleted(number))
                Pop3Reply.WriteScanListing(connection.Output, number, drop[number].Size);
        }
        await EndMultiLineAsync(cancellationToken);
    }

    internal async Task UidlAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        var args = command.SplitArguments();
        if (args.Count > 1)
            throw new Pop3CommandException("usage: UIDL [msg]");
        var drop = Maildrop;
        uint uidValidity = drop.Mailbox.UidValidity;
        if (args.Count == 1)
        {
            int number = ParseMessageNumber(args[0]);
            var message = drop.Get(number);
            await WriteLineAsync(Pop3Reply.Ok($"{number} {Pop3UniqueId.Format(uidValidity, message.Uid)}"), cancellationToken);
            return;
        }
        BeginMultiLine(Pop3Reply.Ok("unique-id listing follows"));
        for (int number = 1; number <= drop.Count; number++)
        {
            if (!drop.IsDeleted(number))
                Pop3Reply.WriteUniqueIdListing(connection.Output, number, uidValidity, drop[number].Uid);
        }
        await EndMultiLineAsync(cancellationToken);
    }
}
