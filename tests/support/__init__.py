"""What the tests share: request bodies (``bodies``), function_app's triggers called as the host
calls them (``http``), a local host over real HTTP (``local_host``), racing calls
(``concurrency``), storage-request counting and storage builders (``storage``), and fakes of Key
Vault and the clock (``auth_fakes``)."""
