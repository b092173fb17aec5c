from devstack.twilio_sandbox.command import main

main()
