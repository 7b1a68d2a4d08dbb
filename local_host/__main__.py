from local_host.server import main

main()
