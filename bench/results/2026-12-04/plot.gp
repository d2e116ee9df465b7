set terminal pngcairo size 900,560
set output 'bench/results/2026-12-04/recall_qps.png'
set title 'Fashion-MNIST, 60000 x 784, k = 10, one client: queries per second against recall'
set xlabel 'recall at k = 10'
set ylabel 'queries per second (log scale)'
set logscale y
set key bottom left
set grid
set xrange [*:1.001]
set offsets 0.005, 0.005, 0, 0
plot 'bench/results/2026-12-04/recall_qps.dat' index 0 with linespoints title 'raw hnswlib (in process)', 'bench/results/2026-12-04/recall_qps.dat' index 1 with linespoints title 'govector gv\_search', 'bench/results/2026-12-04/recall_qps.dat' index 2 with linespoints title 'govector gv\_search, SQ8', 'bench/results/2026-12-04/recall_qps.dat' index 3 with linespoints title 'govector foreign table', 'bench/results/2026-12-04/recall_qps.dat' index 4 with linespoints title 'govector HTTP /points/query', 'bench/results/2026-12-04/recall_qps.dat' index 5 with linespoints title 'pgvector HNSW'
