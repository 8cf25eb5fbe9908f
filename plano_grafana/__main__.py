from plano_grafana.cli import main

main()
