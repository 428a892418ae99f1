namespace Tern.Tests.Pop3;

public sealed class Pop3LayeringTests
{
    [Fact]
    public void Protocol_folder_references_no_domain_service()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Tern.sln")))
            root = Path.GetDirectoryName(root);
        Assert.NotNull(root);
        var files = Directory.GetFiles(Path.Combine(root, "src", "Tern", "Pop3", "Protocol"), "*.cs");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            foreach (var forbidden in new[] { "Tern.Store", "Tern.Queue", "Tern.Delivery", "Tern.Accounts", "Tern.Net" })
                Assert.False(text.Contains(forbidden, StringComparison.Ordinal), $"{Path.GetFileName(file)} references {forbidden}");
        }
    }
}
