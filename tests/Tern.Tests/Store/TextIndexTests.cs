using System.Text;
using Microsoft.Data.Sqlite;
using Tern.Store;
using Tern.Store.FileSystem;
using Tern.Store.Search;

namespace Tern.Tests.Store;

/// <summary>The search text index: its answers equal the unindexed evaluation (every file extracted and matched), and it
/// follows append, copy, expunge and older indexes.</summary>
public sealed class TextIndexTests
{
    static MemoryStream Raw(string text) => new(Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n")));

    /// <summary>Encoded headers, base64 and quoted-printable bodies in several charsets, HTML, and the letters whose
    /// case folding is special (ß/ẞ, Turkish İ, Greek final sigma).</summary>
    static readonly string[] Corpus =
    [
        """
        From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.org>
        To: Bob <bob@example.com>
        Subject: =?utf-8?b?R3LDvMOfZSBhdXMgZGVyIFN0cmHDn2U=?=
        Date: Mon, 2 Mar 2026 10:00:00 +0100
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: base64

        RGllIFN0cmHDn2UgaXN0IGxhbmcsIGRpZSBHUk9TU0UgU1RSQVNTRSBhdWNoLgpFaW4gc2VsdGVuZXMgV29ydDogenl4d3ZhcmsuCg==
        """,
        """
        From: "Ayşe Yılmaz" <ayse@example.com.tr>
        To: team@example.org
        Cc: =?iso-8859-1?q?Fran=E7ois?= <fr@example.fr>
        Subject: =?iso-8859-9?q?=DDstanbul_toplant=FDs=FD?=
        Date: Tue, 3 Mar 2026 11:00:00 +0300
        Content-Type: text/plain; charset=iso-8859-1
        Content-Transfer-Encoding: quoted-printable

        Caf=E9 au lait =E0 l'h=F4tel, na=EFve fa=E7ade. MASSE und Ma=DFe.
        """,
        """
        From: sophia@example.gr
        To: =?utf-8?b?zqPOv8+Gzq/OsQ==?= <sofia@example.gr>
        Subject: ΣΟΦΟΣ σοφός
        Date: Wed, 4 Mar 2026 12:00:00 +0200
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="b1"

        --b1
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 8bit

        Ο σοφός άνθρωπος λέει: ΟΔΥΣΣΕΥΣ.
        --b1
        Content-Type: text/html; charset=utf-8

        <html><head><style>.hidden { color: red }</style></head><body><p>Hello <b>wor</b>ld &amp; caf&eacute;</p><script>var secretscript = 1;</script></body></html>
        --b1--
        """,
        """
        From: Carol <carol@example.net>
        To: dave@example.net
        Bcc: eve@example.net
        Subject: Re: [list] Quarterly numbers
        X-Custom: Project Zephyr
        Date: Thu, 5 Mar 2026 13:00:00 +0000
        Content-Type: multipart/mixed; boundary="outer"

        --outer
        Content-Type: text/plain

        See attached. ẞ capital sharp s, Kelvin K sign.
        --outer
        Content-Type: application/octet-stream
        Content-Transfer-Encoding: base64

        bm90IHRleHQgYXQgYWxs
        --outer
        Content-Type: message/rfc822

        Subject: Inner
        From: inner@example.org

        Inner body with embeddedword.
        --outer--
        """,
        """
        Subject: no body at all
        From: nobody@example.org

        """,
    ];

    static readonly (TextSearchField Field, string Value, string? Header)[] Queries =
    [
        (TextSearchField.Subject, "straße", null), (TextSearchField.Subject, "STRASSE", null), (TextSearchField.Subject, "grüße", null),
        (TextSearchField.Subject, "GRÜSSE", null), (TextSearchField.Subject, "istanbul", null), (TextSearchField.Subject, "İstanbul", null),
        (TextSearchField.Subject, "toplantısı", null), (TextSearchField.Subject, "σοφος", null), (TextSearchField.Subject, "σοφός", null),
        (TextSearchField.Subject, "ΣΟΦΌΣ", null), (TextSearchField.Subject, "ς", null), (TextSearchField.Subject, "re", null),
        (TextSearchField.Subject, "", null), (TextSearchField.Subject, "[list]", null),
        (TextSearchField.From, "müller", null), (TextSearchField.From, "MÜLLER", null), (TextSearchField.From, "joerg@", null),
        (TextSearchField.From, "ayşe", null), (TextSearchField.From, "AYŞE", null), (TextSearchField.From, "ı", null),
        (TextSearchField.To, "σοφία", null), (TextSearchField.To, "ΣΟΦΊΑ", null), (TextSearchField.To, "bob", null),
        (TextSearchField.Cc, "françois", null), (TextSearchField.Cc, "FRANÇOIS", null), (TextSearchField.Cc, "", null),
        (TextSearchField.Bcc, "eve", null), (TextSearchField.Bcc, "ev", null),
        (TextSearchField.Header, "zephyr", "X-Custom"), (TextSearchField.Header, "", "x-custom"), (TextSearchField.Header, "zephyr", "Subject"),
        (TextSearchField.Header, "+0300", "Date"),
        (TextSearchField.Body, "zyxwvark", null), (TextSearchField.Body, "ZYXWVARK", null), (TextSearchField.Body, "straße ist", null),
        (TextSearchField.Body, "GROSSE STRASSE", null), (TextSearchField.Body, "café", null), (TextSearchField.Body, "CAFÉ AU", null),
        (TextSearchField.Body, "maße", null), (TextSearchField.Body, "ẞ", null), (TextSearchField.Body, "ß", null),
        (TextSearchField.Body, "οδυσσευς", null), (TextSearchField.Body, "ΟΔΥΣΣΕΥΣ", null), (TextSearchField.Body, "world", null),
        (TextSearchField.Body, "secretscript", null), (TextSearchField.Body, "color", null), (TextSearchField.Body, "&amp;", null),
        (TextSearchField.Body, "& café", null), (TextSearchField.Body, "not text", null), (TextSearchField.Body, "embeddedword", null),
        (TextSearchField.Body, "a", null), (TextSearchField.Body, "", null), (TextSearchField.Body, "\"", null),
        (TextSearchField.Text, "zephyr", null), (TextSearchField.Text, "subject:", null), (TextSearchField.Text, "odysseus", null),
        (TextSearchField.Text, "kelvin k", null), (TextSearchField.Text, "x", null), (TextSearchField.Text, "\"quoted\" OR body", null),
    ];

    [Fact]
    public async Task Indexed_search_equals_the_unindexed_evaluation_on_encoded_and_non_ASCII_mail()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        foreach (var text in Corpus)
            await account.AppendAsync("INBOX", Raw(text), new AppendOptions());
        var hub = ((AccountHandle)account).Hub;
        foreach (var (field, value, header) in Queries)
        {
            var query = new TextSearchQuery(field, value, header);
            var indexed = await account.SearchTextAsync(inbox.Id, query);
            var scanned = hub.ScanText(inbox.Id, query);
            Assert.True(indexed.SetEquals(scanned), $"{field} {header} \"{value}\": index [{string.Join(",", indexed.Order())}] scan [{string.Join(",", scanned.Order())}]");
        }

        async Task<long[]> Find(TextSearchField field, string value, string? header = null) =>
            [.. (await account.SearchTextAsync(inbox.Id, new TextSearchQuery(field, value, header))).Order()];
        // RFC 2047 words and transfer encodings are decoded; folding is i;unicode-casemap (RFC 5051).
        Assert.Equal(new long[] { 1 }, await Find(TextSearchField.Subject, "STRAßE"));
        Assert.Equal(new long[] { 1 }, await Find(TextSearchField.From, "MÜLLER"));
        Assert.Equal(new long[] { 1 }, await Find(TextSearchField.Body, "zyxwvark"));
        Assert.Equal(new long[] { 2 }, await Find(TextSearchField.Body, "CAFÉ AU LAIT"));
        Assert.Equal(new long[] { 2 }, await Find(TextSearchField.Cc, "françois"));
        Assert.Equal(new long[] { 2 }, await Find(TextSearchField.Subject, "İSTANBUL"));
        Assert.Equal(new long[] { 3 }, await Find(TextSearchField.Subject, "ΣΟΦΌΣ"));  // final sigma ς folds with σ and Σ
        Assert.Equal(new long[] { 3 }, await Find(TextSearchField.Body, "world & café")); // HTML text, entities decoded
        Assert.Empty(await Find(TextSearchField.Body, "secretscript"));      // script contents are not text
        Assert.Equal(new long[] { 4 }, await Find(TextSearchField.Header, "zephyr", "x-custom"));
        Assert.Equal(new long[] { 4 }, await Find(TextSearchField.Body, "embeddedword")); // text inside message/rfc822
        Assert.Empty(await Find(TextSearchField.Body, "not text"));          // application/octet-stream is not text
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, await Find(TextSearchField.Subject, ""));
        Assert.Equal(new long[] { 2 }, await Find(TextSearchField.Cc, ""));               // the empty string: has the field
    }

    [Fact]
    public async Task The_index_follows_append_copy_and_expunge()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        var archive = (await account.GetMailboxAsync("Archive"))!;
        var query = new TextSearchQuery(TextSearchField.Body, "quokka");
        var a = await account.AppendAsync("INBOX", TempStore.Message("one", "a quokka smiles"), new AppendOptions());
        await account.AppendAsync("INBOX", TempStore.Message("two", "a wombat digs"), new AppendOptions());
        Assert.Equal([a.Uid], await account.SearchTextAsync(inbox.Id, query));

        var copy = await account.CopyAsync(inbox.Id, UidSet.Of(a.Uid), "Archive");
        Assert.Equal(copy.DestinationUids, (await account.SearchTextAsync(archive.Id, query)).Order());

        await account.StoreFlagsAsync(inbox.Id, UidSet.Of(a.Uid), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await account.ExpungeAsync(inbox.Id);
        Assert.Empty(await account.SearchTextAsync(inbox.Id, query));
        Assert.Equal(copy.DestinationUids, (await account.SearchTextAsync(archive.Id, query)).Order()); // copies share the file's row
        Assert.Equal(2, TextRows(temp));

        await account.MoveAsync(archive.Id, UidSet.Of(copy.DestinationUids[0]), "INBOX");
        Assert.Empty(await account.SearchTextAsync(archive.Id, query));
        Assert.Single(await account.SearchTextAsync(inbox.Id, query));

        await account.StoreFlagsAsync(inbox.Id, UidSet.Range(1, long.MaxValue), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await account.ExpungeAsync(inbox.Id);
        Assert.Equal(0, TextRows(temp)); // the last placement gone: its text rows go with the file
    }

    [Fact]
    public async Task Messages_of_an_index_without_text_rows_are_indexed_on_first_search_and_sort()
    {
        await using var temp = new TempStore();
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            for (int i = 0; i < 5; i++)
                await account.AppendAsync("INBOX", TempStore.Message($"old {i}", i == 3 ? "the platypus" : "nothing"), new AppendOptions());
        }
        await temp.RestartAsync();
        // What an index from before schema version 3 looks like: no text rows.
        using (var db = new SqliteConnection($"Data Source={Path.Combine(temp.AccountDirectory(1), "index.db")};Pooling=False"))
        {
            db.Open();
            using var wipe = db.CreateCommand();
            wipe.CommandText = "DELETE FROM message_text; DELETE FROM message_fields; DELETE FROM message_meta; UPDATE meta SET value = 1 WHERE key = 'schema'";
            wipe.ExecuteNonQuery();
        }
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            var inbox = (await account.GetMailboxAsync("INBOX"))!;
            Assert.Equal([4L], await account.SearchTextAsync(inbox.Id, new TextSearchQuery(TextSearchField.Body, "PLATYPUS")));
            var sort = await account.GetSortDataAsync(inbox.Id);
            Assert.Equal(["old 0", "old 1", "old 2", "old 3", "old 4"], sort.Select(s => s.Subject));
            Assert.Equal(5, TextRows(temp));
        }
    }

    [Fact]
    public async Task An_index_from_before_the_header_fields_index_gets_it_on_open_and_it_follows_expunge()
    {
        await using var temp = new TempStore();
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            await account.AppendAsync("INBOX", TempStore.Message("Harbour lights", "a body"), new AppendOptions());
            await account.AppendAsync("INBOX", TempStore.Message("Other", "the harbour is in the body only"), new AppendOptions());
            await ((AccountHandle)account).Hub.DrainTextBacklogAsync(CancellationToken.None);
        }
        await temp.RestartAsync();
        using (var db = new SqliteConnection($"Data Source={Path.Combine(temp.AccountDirectory(1), "index.db")};Pooling=False"))
        {
            db.Open();
            using var drop = db.CreateCommand();
            drop.CommandText = "DROP TRIGGER messages_fields_cleanup; DROP TABLE message_fields";
            drop.ExecuteNonQuery();
        }
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            var inbox = (await account.GetMailboxAsync("INBOX"))!;
            Assert.Equal([1L], await account.SearchTextAsync(inbox.Id, new TextSearchQuery(TextSearchField.Subject, "HARBOUR")));
            Assert.Equal([1L, 2L], (await account.SearchTextAsync(inbox.Id, new TextSearchQuery(TextSearchField.Text, "harbour"))).Order());
            Assert.Equal(2, FieldRows(temp));
            await account.StoreFlagsAsync(inbox.Id, UidSet.Of(1), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
            await account.ExpungeAsync(inbox.Id);
            Assert.Empty(await account.SearchTextAsync(inbox.Id, new TextSearchQuery(TextSearchField.Subject, "harbour")));
            Assert.Equal(1, FieldRows(temp));
        }
    }

    [Fact]
    public async Task A_file_recovered_by_reconcile_is_searchable_and_verify_stays_clean()
    {
        await using var temp = new TempStore();
        long inboxId;
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            inboxId = (await account.GetMailboxAsync("INBOX"))!.Id;
            await account.AppendAsync("INBOX", TempStore.Message("kept", "a narwhal here too"), new AppendOptions());
            Assert.Single(await account.SearchTextAsync(inboxId, new TextSearchQuery(TextSearchField.Body, "narwhal")));
        }
        await temp.CrashAsync();
        // A file renamed into place whose index commit never happened: reconcile adds it, without search text.
        var existing = System.IO.Directory.GetFiles(Path.Combine(temp.AccountDirectory(1), "messages"), "*.eml", SearchOption.AllDirectories)[0];
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(existing)!, $"50-{inboxId}.eml"), "Subject: orphan\r\nFrom: x@example.org\r\n\r\nrecovered narwhal\r\n");
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            Assert.Equal(2, (await account.SearchTextAsync(inboxId, new TextSearchQuery(TextSearchField.Body, "narwhal"))).Count);
            Assert.Single(await account.SearchTextAsync(inboxId, new TextSearchQuery(TextSearchField.Subject, "orphan")));
        }
        var verify = await temp.Store.VerifyAsync(1, fix: false);
        Assert.True(verify.Clean, string.Join("; ", verify.Problems));
    }

    [Fact]
    public async Task A_copy_from_a_mailbox_not_yet_indexed_is_found_in_a_mailbox_that_was()
    {
        await using var temp = new TempStore();
        await using (var account = await temp.Store.OpenAccountAsync(1))
            await account.AppendAsync("INBOX", TempStore.Message("old", "the pangolin"), new AppendOptions());
        await temp.RestartAsync();
        using (var db = new SqliteConnection($"Data Source={Path.Combine(temp.AccountDirectory(1), "index.db")};Pooling=False"))
        {
            db.Open();
            using var wipe = db.CreateCommand();
            wipe.CommandText = "DELETE FROM message_text; DELETE FROM message_fields; DELETE FROM message_meta";
            wipe.ExecuteNonQuery();
        }
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            var inbox = (await account.GetMailboxAsync("INBOX"))!;
            var archive = (await account.GetMailboxAsync("Archive"))!;
            var query = new TextSearchQuery(TextSearchField.Body, "pangolin");
            Assert.Empty(await account.SearchTextAsync(archive.Id, query)); // Archive is now known to be fully indexed
            var copy = await account.CopyAsync(inbox.Id, UidSet.Of(1), "Archive");
            Assert.Equal(copy.DestinationUids, (await account.SearchTextAsync(archive.Id, query)).Order());
        }
    }

    [Fact]
    public async Task Text_past_the_index_cap_is_still_found()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        var line = new string('x', 76) + "\r\n";
        var body = new StringBuilder();
        while (body.Length < MessageTextExtractor.MaxBodyChars + 10_000)
            body.Append(line);
        body.Append("the needle is aardwolf at the very end");
        var big = await account.AppendAsync("INBOX", TempStore.Message("big", body.ToString()), new AppendOptions());
        await account.AppendAsync("INBOX", TempStore.Message("small", "aardwolf early"), new AppendOptions());
        var query = new TextSearchQuery(TextSearchField.Body, "aardwolf at the");
        Assert.Equal([big.Uid], await account.SearchTextAsync(inbox.Id, query));
        Assert.Equal(2, (await account.SearchTextAsync(inbox.Id, new TextSearchQuery(TextSearchField.Body, "aardwolf"))).Count);
    }

    [Fact]
    public async Task Sort_data_comes_decoded_from_the_index()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        await account.AppendAsync("INBOX", Raw(Corpus[0]), new AppendOptions());
        await account.AppendAsync("INBOX", Raw("Subject: x\nMessage-ID: <m2@x>\nIn-Reply-To: <m1@x>\nReferences: <m0@x> <m1@x>\n\nbody\n"), new AppendOptions());
        var data = await account.GetSortDataAsync(inbox.Id);
        Assert.Equal("Grüße aus der Straße", data[0].Subject);
        Assert.Equal("Jörg Müller", data[0].From!.Name);
        Assert.Equal("joerg", data[0].From!.Mailbox);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero), data[0].SentDate);
        Assert.Null(data[1].SentDate);
        Assert.Equal("m2@x", data[1].MessageId);
        Assert.Equal("m1@x", data[1].InReplyTo);
        Assert.Equal(["m0@x", "m1@x"], data[1].References);
    }

    [Theory]
    [InlineData("σοφός", "ΣΟΦΌΣ")]
    [InlineData("ς", "Σ")]
    [InlineData("straße", "STRAßE")]
    [InlineData("ǆ", "Ǆ")]
    [InlineData("Ⅻ", "XII")]
    [InlineData("caf\u00e9", "CAFE\u0301")]
    public void Casemap_folds_equal_strings_together(string a, string b) =>
        Assert.Equal(UnicodeCasemap.Fold(a), UnicodeCasemap.Fold(b));

    [Fact]
    public void Casemap_follows_RFC_5051_titlecase_then_NFKD()
    {
        Assert.Equal("I\u0307STANBUL", UnicodeCasemap.Fold("İstanbul")); // İ decomposes to I + combining dot
        Assert.Equal("ß", UnicodeCasemap.Fold("ß"));                      // no simple titlecase: stays, and differs from ẞ
        Assert.NotEqual(UnicodeCasemap.Fold("ß"), UnicodeCasemap.Fold("ẞ"));
        Assert.True(UnicodeCasemap.CompareFolded("\uFFFD", "\U0001F600") < 0); // code point (UTF-8) order, not UTF-16
    }

    static long FieldRows(TempStore temp) => temp.IndexScalar("SELECT count(*) FROM message_fields");

    static long TextRows(TempStore temp)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(temp.AccountDirectory(1), "index.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var count = db.CreateCommand();
        count.CommandText = "SELECT count(*) FROM message_text";
        return (long)count.ExecuteScalar()!;
    }
}
