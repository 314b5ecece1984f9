"""Forest evidence for each plot: manual and field evidence, raster datasets and assessments
(exact zonal statistics), Whisp results, and the pages for all of them."""
