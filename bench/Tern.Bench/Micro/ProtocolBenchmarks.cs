using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Tern.Imap.Protocol;
using Tern.Imap.Server;
using Tern.Smtp.Protocol;
using Tern.Store;

namespace Tern.Bench.Micro;

/// <summary>The hot parsers and writers of the protocols, without sockets: what one SMTP command line, one IMAP
/// command and one FETCH response cost in CPU and allocations.</summary>
[MemoryDiagnoser]
public class ProtocolBenchmarks
{
    static readonly byte[] MailFrom = "MAIL FROM:<alice.sender@example.org> SIZE=10240 BODY=8BITMIME SMTPUTF8"u8.ToArray();
    static readonly byte[] RcptTo = "RCPT TO:<bob.recipient@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob.recipient@example.com"u8.ToArray();

    /// <summary>A client's FETCH as Thunderbird sends it on opening a folder, then a UID SEARCH with nested keys.</summary>
    static readonly byte[] ImapCommands = Encoding.ASCII.GetBytes(
        "a12 UID FETCH 1:1000 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO CC BCC SUBJECT DATE MESSAGE-ID PRIORITY X-PRIORITY REFERENCES NEWSGROUPS IN-REPLY-TO CONTENT-TYPE REPLY-TO)])\r\n" +
        "a13 UID SEARCH CHARSET UTF-8 OR (UNSEEN SINCE 1-Jan-2026) (FLAGGED NOT FROM \"list@example.org\") SUBJECT \"quarterly report\"\r\n");

    readonly ArrayBufferWriter<byte> output = new(64 * 1024);
    MessageStructure structure = null!;
    MessageInfo info = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var stream = new MemoryStream(MimeParsingBenchmarks.BuildMessage(50 * 1024), writable: false);
        structure = MessageAnalyzer.Analyze(stream);
        info = new MessageInfo(4711, MessageFlags.Seen | MessageFlags.Answered, ["$Forwarded", "NonJunk"], 90210, 51_200,
            new DateTimeOffset(2026, 11, 27, 8, 30, 0, TimeSpan.FromHours(1)), DateTimeOffset.UnixEpoch, "M1267");
    }

    [Benchmark(Description = "SMTP: parse MAIL FROM and RCPT TO lines with parameters")]
    public int SmtpCommandLines()
    {
        int n = 0;
        if (SmtpCommandParser.TryParse(MailFrom, out var mail) == SmtpLineError.None
            && SmtpPathParser.TryParseMailFrom(mail.Argument, out _, out var mailParameters, out _))
            n += mailParameters.Count;
        if (SmtpCommandParser.TryParse(RcptTo, out var rcpt) == SmtpLineError.None
            && SmtpPathParser.TryParseRcptTo(rcpt.Argument, out _, out var rcptParameters, out _))
            n += rcptParameters.Count;
        return n;
    }

    [Benchmark(Description = "IMAP: frame and parse a UID FETCH (13 header fields) and a nested UID SEARCH")]
    public int ImapCommand()
    {
        var framer = new ImapCommandFramer(64 * 1024);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(ImapCommands));
        int n = 0;
        while (framer.Read(ref reader) is { Status: FrameStatus.Complete, Command: { } command })
        {
            using (command)
            {
                var args = new ImapArgumentReader(command);
                args.Tag();
                args.Space();
                args.Atom(); // UID
                args.Space();
                if (args.Atom() == "FETCH")
                {
                    args.Space();
                    n += args.SequenceSet().GetHashCode() & 1;
                    args.Space();
                    n += FetchParser.Parse(args).Count;
                }
                else
                {
                    args.Space();
                    n += SearchParser.Parse(args).GetHashCode() & 1;
                }
            }
        }
        return n;
    }

    [Benchmark(Description = "IMAP: write a FETCH response (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)")]
    public int ImapFetchResponse()
    {
        output.ResetWrittenCount();
        var w = new ImapResponseWriter(output);
        w.Raw("* ").Number(1000).Raw(" FETCH (UID ").Number(info.Uid)
            .Raw(" FLAGS (").Raw(FlagText.Format(info, recent: false)).Raw(") INTERNALDATE ").DateTime(info.InternalDate)
            .Raw(" RFC822.SIZE ").Number(info.Size).Raw(" ENVELOPE ");
        StructureWriter.Envelope(w, structure.Envelope);
        w.Raw(" BODYSTRUCTURE ");
        StructureWriter.Body(w, structure.Body, extensible: true);
        w.Raw(")\r\n"u8);
        return output.WrittenCount;
    }
}
