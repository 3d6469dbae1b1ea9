// placeholder: charts and pictures (SVG curves, confusion heat map, error grids)
