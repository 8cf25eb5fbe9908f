from tests.support.grafana_double import main

main()
