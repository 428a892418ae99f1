using Tern.Tests.Fixtures;
using System.Text.Json;
using Tern.Store;
using Tern.Store.Transfer;

namespace Tern.Tests.Store;

/// <summary>Round trips through an independent implementation: Python's <c>mailbox</c> module.</summary>
public sealed class TransferTests
{
    static Task<string> RunPythonAsync(string script, params string[] args) => PythonScript.RunCheckedAsync(script, args);

    static async Task<List<(string Subject, MessageFlags Flags, IReadOnlyList<string> Keywords, DateTimeOffset Date, string Content)>> MailboxAsync(IMailAccount account, string name)
    {
        var mailbox = (await account.GetMailboxAsync(name))!;
        Assert.NotNull(mailbox);
        var list = new List<(string, MessageFlags, IReadOnlyList<string>, DateTimeOffset, string)>();
        foreach (var m in await account.GetMessagesAsync(mailbox.Id))
        {
            var subject = (await account.GetStructureAsync(mailbox.Id, m.Uid)).Envelope.Subject ?? "";
            list.Add((subject, m.Flags, m.Keywords, m.InternalDate, await TempStore.ReadAllAsync(account, mailbox.Id, m.Uid)));
        }
        return list;
    }

    const string WriteMaildir = """
        import mailbox, sys
        md = mailbox.Maildir(sys.argv[1], create=True)
        def msg(subject, body, flags, date, subdir='cur'):
            m = mailbox.MaildirMessage("From: a@example.org\nTo: b@example.org\nSubject: %s\nMessage-ID: <%s@example.org>\n\n%s\n" % (subject, subject.replace(' ', '.'), body))
            m.set_subdir(subdir)
            if flags:
                m.set_flags(flags)
            m.set_date(date)
            return m
        md.add(msg('inbox seen', 'hello', 'S', 1600000000))
        md.add(msg('inbox new', 'fresh', '', 1600000100, 'new'))
        md.add(msg('inbox replied flagged', 'x', 'FRS', 1600000200))
        sub = md.add_folder('Sub')
        sub.add(msg('sub draft', 'y', 'D', 1600000300))
        deep = md.add_folder('Sub.Deep')
        deep.add(msg('deep trashed', 'z', 'ST', 1600000400))
        deep.add(msg('deep passed', 'w', 'PS', 1600000500))
        """;

    [Fact]
    public async Task Maildir_written_by_python_is_imported_with_every_message_flag_date_and_folder_once()
    {
        await using var temp = new TempStore();
        var source = Path.Combine(temp.Directory, "maildir-in");
        await RunPythonAsync(WriteMaildir, source);
        await using var account = await temp.Store.OpenAccountAsync(1);
        var result = await Maildir.ImportAsync(account, source, null, null, default);
        Assert.Equal(6, result.Messages);
        var inbox = await MailboxAsync(account, "INBOX");
        Assert.Equal(["inbox seen", "inbox new", "inbox replied flagged"], inbox.Select(m => m.Subject));
        Assert.Equal([MessageFlags.Seen, MessageFlags.None, MessageFlags.Flagged | MessageFlags.Answered | MessageFlags.Seen], inbox.Select(m => m.Flags));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1600000000), inbox[0].Date);
        Assert.Contains("\r\n\r\nhello\r\n", inbox[0].Content);
        var sub = await MailboxAsync(account, "Sub");
        Assert.Equal(MessageFlags.Draft, Assert.Single(sub).Flags);
        var deep = await MailboxAsync(account, "Sub/Deep");
        Assert.Equal(MessageFlags.Seen | MessageFlags.Deleted, deep[0].Flags);
        Assert.Equal(["$Forwarded"], deep[1].Keywords);

        var again = await Maildir.ImportAsync(account, source, null, null, default);
        Assert.Equal(0, again.Messages);
        Assert.Equal(6, again.Skipped);
        Assert.Equal(3, (await MailboxAsync(account, "INBOX")).Count);
    }

    const string WriteMbox = """
        import mailbox, sys, time
        mb = mailbox.mbox(sys.argv[1])
        m = mailbox.mboxMessage("From: a@example.org\nSubject: mbox one\nMessage-ID: <one@example.org>\n\nFrom here on\nsecond line\n")
        m.set_flags('RA')
        m.set_from('sender@example.org', time.gmtime(1600000000))
        mb.add(m)
        m = mailbox.mboxMessage("From: a@example.org\nSubject: mbox two\nMessage-ID: <two@example.org>\n\nbody two\n")
        m.set_flags('FD')
        m.set_from('other@example.org', time.gmtime(1600000500))
        mb.add(m)
        m = mailbox.mboxMessage("From: a@example.org\nSubject: mbox three\n\nunread\n")
        m.set_from('third@example.org', time.gmtime(1600001000))
        mb.add(m)
        mb.flush()
        mb.close()
        """;

    [Fact]
    public async Task Mbox_written_by_python_is_imported_with_every_message_flag_and_date_once()
    {
        await using var temp = new TempStore();
        var source = Path.Combine(temp.Directory, "in.mbox");
        await RunPythonAsync(WriteMbox, source);
        await using var account = await temp.Store.OpenAccountAsync(1);
        await account.CreateMailboxAsync("Old");
        var result = await Mbox.ImportAsync(account, source, "Old", null, default);
        Assert.Equal(3, result.Messages);
        var old = await MailboxAsync(account, "Old");
        Assert.Equal(["mbox one", "mbox two", "mbox three"], old.Select(m => m.Subject));
        Assert.Equal([MessageFlags.Seen | MessageFlags.Answered, MessageFlags.Flagged | MessageFlags.Deleted, MessageFlags.None], old.Select(m => m.Flags));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1600000500), old[1].Date);
        // Python quoted the body line as ">From here on"; the import takes the quoting off again.
        Assert.Contains("\r\n\r\nFrom here on\r\nsecond line\r\n", old[0].Content);
        Assert.DoesNotContain("Status:", old[0].Content);
        Assert.EndsWith("second line\r\n", old[0].Content);

        var again = await Mbox.ImportAsync(account, source, "Old", null, default);
        Assert.Equal(0, again.Messages);
        Assert.Equal(3, (await MailboxAsync(account, "Old")).Count);
    }

    static async Task<IMailAccount> AccountWithMailAsync(TempStore temp)
    {
        var account = await temp.Store.OpenAccountAsync(1);
        await account.CreateMailboxAsync("Work/Projects");
        await account.AppendAsync("INBOX", TempStore.Message("first", "Hello there"), new AppendOptions(MessageFlags.Seen, null, DateTimeOffset.FromUnixTimeSeconds(1500000000)));
        await account.AppendAsync("INBOX", TempStore.Message("second", "Line\r\nFrom me, with love\r\n>From quoted"),
            new AppendOptions(MessageFlags.Flagged | MessageFlags.Answered, ["$Label1"], DateTimeOffset.FromUnixTimeSeconds(1500000100)));
        await account.AppendAsync("Work", TempStore.Message("work", "w"), new AppendOptions(MessageFlags.Deleted, null, DateTimeOffset.FromUnixTimeSeconds(1500000200)));
        await account.AppendAsync("Work/Projects", TempStore.Message("project", "p"), new AppendOptions(MessageFlags.Draft | MessageFlags.Seen, null, DateTimeOffset.FromUnixTimeSeconds(1500000300)));
        return account;
    }

    const string ReadMaildir = """
        import mailbox, sys, json, email
        md = mailbox.Maildir(sys.argv[1], create=False)
        def dump(box):
            out = []
            for key, m in sorted(box.items(), key=lambda kv: kv[1].get_date()):
                out.append({'subject': m['Subject'], 'flags': m.get_flags(), 'date': int(m.get_date()), 'body': m.get_payload()})
            return out
        result = {'': dump(md)}
        for name in md.list_folders():
            result[name] = dump(md.get_folder(name))
        print(json.dumps(result))
        """;

    [Fact]
    public async Task Maildir_exported_by_tern_is_read_back_by_python_with_every_message_flag_date_and_folder()
    {
        await using var temp = new TempStore();
        await using var account = await AccountWithMailAsync(temp);
        var target = Path.Combine(temp.Directory, "maildir-out");
        var result = await Maildir.ExportAsync(account, target, null, null, default);
        Assert.Equal(4, result.Messages);
        using var json = JsonDocument.Parse(await RunPythonAsync(ReadMaildir, target));
        var root = json.RootElement;
        var folders = root.EnumerateObject().Select(p => p.Name).Where(n => n.Length > 0).Order().ToList();
        Assert.Contains("Work", folders);
        Assert.Contains("Work.Projects", folders);
        var inbox = root.GetProperty("").EnumerateArray().ToList();
        Assert.Equal(["first", "second"], inbox.Select(m => m.GetProperty("subject").GetString()));
        Assert.Equal("S", inbox[0].GetProperty("flags").GetString());
        Assert.Equal("FRa", inbox[1].GetProperty("flags").GetString());
        Assert.Equal(1500000000, inbox[0].GetProperty("date").GetInt64());
        Assert.Contains("From me, with love", inbox[1].GetProperty("body").GetString());
        Assert.Equal("T", Assert.Single(root.GetProperty("Work").EnumerateArray()).GetProperty("flags").GetString());
        Assert.Equal("DS", Assert.Single(root.GetProperty("Work.Projects").EnumerateArray()).GetProperty("flags").GetString());
        Assert.Contains("$Label1", await File.ReadAllTextAsync(Path.Combine(target, "dovecot-keywords")));

        // A second export adds nothing; importing the export into a new account gives the same mail back.
        Assert.Equal(0, (await Maildir.ExportAsync(account, target, null, null, default)).Messages);
        await using var copy = await temp.Store.OpenAccountAsync(2);
        var back = await Maildir.ImportAsync(copy, target, null, null, default);
        Assert.Equal(4, back.Messages);
        var inboxBack = await MailboxAsync(copy, "INBOX");
        Assert.Equal(["$Label1"], inboxBack[1].Keywords);
        Assert.Equal(MessageFlags.Flagged | MessageFlags.Answered, inboxBack[1].Flags);
        Assert.Equal((await MailboxAsync(account, "INBOX"))[1].Content, inboxBack[1].Content);
        Assert.Single(await MailboxAsync(copy, "Work/Projects"));
    }

    const string ReadMboxTree = """
        import mailbox, sys, json, os
        result = {}
        for dirpath, dirs, files in os.walk(sys.argv[1]):
            for f in files:
                path = os.path.join(dirpath, f)
                out = []
                for m in mailbox.mbox(path, create=False):
                    out.append({'subject': m['Subject'], 'flags': m.get_flags(), 'from': m.get_from(), 'body': m.get_payload()})
                result[os.path.relpath(path, sys.argv[1])] = out
        print(json.dumps(result))
        """;

    [Fact]
    public async Task Mbox_exported_by_tern_is_read_back_by_python_with_every_message_flag_date_and_folder()
    {
        await using var temp = new TempStore();
        await using var account = await AccountWithMailAsync(temp);
        var target = Path.Combine(temp.Directory, "mbox-out");
        var result = await Mbox.ExportAsync(account, target, null, null, default);
        Assert.Equal(4, result.Messages);
        using var json = JsonDocument.Parse(await RunPythonAsync(ReadMboxTree, target));
        var root = json.RootElement;
        var inbox = root.GetProperty("INBOX").EnumerateArray().ToList();
        Assert.Equal(["first", "second"], inbox.Select(m => m.GetProperty("subject").GetString()));
        Assert.Equal("RO", inbox[0].GetProperty("flags").GetString());
        Assert.Equal("OAF", inbox[1].GetProperty("flags").GetString());
        Assert.EndsWith("Fri Jul 14 02:40:00 2017", inbox[0].GetProperty("from").GetString());
        // mboxrd: the body's "From " lines were quoted, so Python saw one message, not two.
        Assert.Contains(">From me, with love", inbox[1].GetProperty("body").GetString());
        Assert.Contains(">>From quoted", inbox[1].GetProperty("body").GetString());
        Assert.Equal("OD", Assert.Single(root.GetProperty("Work").EnumerateArray()).GetProperty("flags").GetString());
        Assert.Equal("ROT", Assert.Single(root.GetProperty(Path.Combine("Work.sbd", "Projects")).EnumerateArray()).GetProperty("flags").GetString());

        // Exported again: files are rewritten, nothing is duplicated; imported back: the same messages.
        await Mbox.ExportAsync(account, target, null, null, default);
        using var again = JsonDocument.Parse(await RunPythonAsync(ReadMboxTree, target));
        Assert.Equal(2, again.RootElement.GetProperty("INBOX").GetArrayLength());
        await using var copy = await temp.Store.OpenAccountAsync(2);
        var back = await Mbox.ImportAsync(copy, target, null, null, default);
        Assert.Equal(4, back.Messages);
        var original = await MailboxAsync(account, "INBOX");
        var roundTrip = await MailboxAsync(copy, "INBOX");
        Assert.Equal(original.Select(m => m.Content), roundTrip.Select(m => m.Content));
        Assert.Equal(original.Select(m => m.Flags), roundTrip.Select(m => m.Flags));
        Assert.Equal(original.Select(m => m.Date), roundTrip.Select(m => m.Date));
        Assert.Equal(["$Label1"], roundTrip[1].Keywords);
        Assert.Single(await MailboxAsync(copy, "Work/Projects"));
    }

    [Theory]
    [InlineData("Ünïcødé", "&ANw-n&AO8-c&APg-d&AOk-")]
    [InlineData("a&b", "a&-b")]
    [InlineData("日本語", "&ZeVnLIqe-")]
    public void Modified_utf7_round_trips(string text, string encoded)
    {
        Assert.Equal(encoded, ModifiedUtf7.Encode(text));
        Assert.Equal(text, ModifiedUtf7.Decode(encoded));
    }
}
