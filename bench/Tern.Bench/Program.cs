Console.WriteLine("Tern benchmark harness: see bench/README.md");
