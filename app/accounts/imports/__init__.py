"""CSV import of accounts and contacts, private to the accounts feature (its services are the entry):
``csv_format`` reads a file, ``rules`` says what each column means, ``rows`` holds a plan's rows, ``plan``
plans an upload, ``compare`` matches rows with the database, ``apply`` writes a confirmed plan."""
